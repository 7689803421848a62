import { LOG_CAP_BYTES, TRUNCATED_MARKER } from '../../core/metering.js';
import type { LogLine } from '../../core/schemas/control.js';

/**
 * Gathers one invocation's log lines: those the shim sends (log frames and the
 * final frame) and whatever reaches the container's stdout/stderr directly
 * (native code, a crashing runtime). The cap holds here too: a hostile shim
 * cannot make the invoker buffer without bound.
 */
export class LogCollector {
  private current = '';
  private lines: LogLine[] = [];
  private bytes = 0;
  private truncatedNow = false;

  begin(id: string): void {
    this.current = id;
    this.lines = [];
    this.bytes = 0;
    this.truncatedNow = false;
  }

  add(id: string, lines: LogLine[]): void {
    if (id !== this.current) return;
    for (const l of lines) this.push(l);
  }

  raw(level: 'stdout' | 'stderr', text: string): void {
    for (const msg of text.split('\n')) if (msg) this.push({ ts: Date.now(), level, msg });
  }

  /** The lines so far, leaving the collector empty. */
  take(): LogLine[] {
    const out = this.lines;
    this.lines = [];
    return out;
  }

  finish(last: LogLine[]): LogLine[] {
    for (const l of last) this.push(l);
    return this.take();
  }

  get truncated(): boolean {
    return this.truncatedNow;
  }

  private push(line: LogLine) {
    if (this.truncatedNow) return;
    const size = line.msg.length + 32;
    if (this.bytes + size > LOG_CAP_BYTES || line.msg === TRUNCATED_MARKER) {
      this.truncatedNow = true;
      this.lines.push({ ts: line.ts, level: 'stderr', msg: TRUNCATED_MARKER });
      return;
    }
    this.bytes += size;
    this.lines.push(line);
  }
}
