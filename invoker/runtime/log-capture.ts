import { format } from 'node:util';
import type { LogLine } from '../../core/schemas/control.js';

type Level = LogLine['level'];

export const LOG_FLUSH_MS = 100;
export const LOG_FLUSH_BYTES = 16 * 1024;
export const LOG_CAP_BYTES = 256 * 1024;
export const TRUNCATED_MARKER = '[tsfn] log output truncated';

const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug'] as const;
// Taken before function code runs, which may replace or fake the globals.
const { setTimeout: startTimer, clearTimeout: stopTimer } = globalThis;

/**
 * Captures what a function prints (console.* and process.stdout/stderr.write)
 * as LogLines of the invocation in flight. While one runs, lines go out in
 * `log` frames every LOG_FLUSH_MS or LOG_FLUSH_BYTES, whichever comes first;
 * the rest leave with the invocation's result. Lines printed while none runs
 * (module init, timers firing between invocations) are held and become the
 * first lines of the next invocation, as Lambda does with init output.
 * At most LOG_CAP_BYTES of messages are kept per invocation, then one marker.
 */
export class LogCapture {
  private lines: LogLine[] = [];
  private unsentBytes = 0;
  private keptBytes = 0;
  private cap: 'open' | 'reached' = 'open';
  private invocationId: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sendBatch: (id: string, lines: LogLine[]) => void) {}

  /** Replaces the console methods and the std streams' write. Call once, before function code runs. */
  install(): void {
    for (const level of CONSOLE_LEVELS) {
      console[level] = (...args: unknown[]) => this.add(level, format(...args));
    }
    this.captureStream('stdout');
    this.captureStream('stderr');
  }

  /** Starts collecting for an invocation; held lines become its first lines. */
  begin(id: string): void {
    this.invocationId = id;
    if (this.lines.length) this.schedule();
  }

  /** Ends the current collection and returns the lines not yet sent; the cap starts afresh. */
  drain(): LogLine[] {
    if (this.timer) stopTimer(this.timer);
    const lines = this.lines;
    this.timer = undefined;
    this.invocationId = undefined;
    this.lines = [];
    this.unsentBytes = 0;
    this.keptBytes = 0;
    this.cap = 'open';
    return lines;
  }

  add(level: Level, msg: string): void {
    if (this.cap === 'reached') return;
    const bytes = Buffer.byteLength(msg);
    if (this.keptBytes + bytes <= LOG_CAP_BYTES) {
      this.push(level, msg, bytes);
    } else {
      const room = LOG_CAP_BYTES - this.keptBytes;
      if (room > 0) this.push(level, cutUtf8(msg, room), room);
      this.push('warn', TRUNCATED_MARKER, 0);
      this.cap = 'reached';
    }
    if (this.invocationId === undefined) return;
    if (this.unsentBytes >= LOG_FLUSH_BYTES) this.flush();
    else this.schedule();
  }

  private push(level: Level, msg: string, bytes: number): void {
    this.lines.push({ ts: Date.now(), level, msg });
    this.unsentBytes += bytes;
    this.keptBytes += bytes;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = startTimer(() => this.flush(), LOG_FLUSH_MS);
    this.timer.unref();
  }

  private flush(): void {
    if (this.timer) stopTimer(this.timer);
    this.timer = undefined;
    if (this.invocationId === undefined || !this.lines.length) return;
    const lines = this.lines;
    this.lines = [];
    this.unsentBytes = 0;
    this.sendBatch(this.invocationId, lines);
  }

  /**
   * process.stdout/stderr are lazy getters in Node, and building the stream
   * costs about a millisecond each: patch on first access instead of forcing it.
   */
  private captureStream(name: 'stdout' | 'stderr'): void {
    const desc = Object.getOwnPropertyDescriptor(process, name);
    if (!desc) return;
    const original = desc.get ? () => desc.get!.call(process) as NodeJS.WriteStream : () => desc.value as NodeJS.WriteStream;
    const write = this.streamWriter(name);
    let stream: NodeJS.WriteStream | undefined;
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: desc.enumerable ?? true,
      get() {
        if (!stream) {
          stream = original();
          stream.write = write;
        }
        return stream;
      },
    });
  }

  private streamWriter(level: 'stdout' | 'stderr'): NodeJS.WriteStream['write'] {
    return ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      const text = typeof chunk === 'string' ? chunk
        : ArrayBuffer.isView(chunk) ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8')
        : String(chunk);
      this.add(level, text.endsWith('\n') ? text.slice(0, -1) : text);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    }) as NodeJS.WriteStream['write'];
  }
}

/** The longest prefix of `msg` that fits in `bytes` of UTF-8, never splitting a character. */
export function cutUtf8(msg: string, bytes: number): string {
  let cut = Buffer.from(msg, 'utf8').subarray(0, bytes).toString('utf8');
  while (cut.endsWith('\uFFFD') && !msg.startsWith(cut)) cut = cut.slice(0, -1);
  return cut;
}
