import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupError } from './cgroup-error.js';
import { errnoOf, readNumber } from './cgroup-files.js';
import { HeldFile } from './held-file.js';

/**
 * How a v2 kernel lets us read peak memory since the last reset:
 * - `per-fd`: memory.peak is writable (Linux >= 6.12): a write through an fd
 *   resets the peak seen through that same fd; exact.
 * - `watermark`: memory.peak exists but is read-only (5.19..6.11): exact when a
 *   new high is reached after the reset, else the highest memory.current seen
 *   at the reset and at each read.
 * - `sampled`: no memory.peak (< 5.19): the highest memory.current seen.
 */
export type PeakMode = 'per-fd' | 'watermark' | 'sampled';

export function probePeakMode(dir: string): PeakMode {
  const path = join(dir, 'memory.peak');
  if (!existsSync(path)) return 'sampled';
  try {
    closeSync(openSync(path, 'r+'));
    return 'per-fd';
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'EACCES' || code === 'EPERM') return 'watermark';
    throw new CgroupError(`open ${path}: ${code ?? String(err)}`, { code, cause: err });
  }
}

/** Peak memory of one v2 cgroup since creation or the last reset. */
export class MemoryPeak {
  private readonly peakPath: string;
  private readonly currentPath: string;
  /** A fresh fd reports the peak since creation, so opening it lazily keeps that meaning. */
  private readonly peakFd: HeldFile;
  private sampled = 0;
  private globalAtReset = -1;

  constructor(dir: string, readonly mode: PeakMode) {
    this.peakPath = join(dir, 'memory.peak');
    this.currentPath = join(dir, 'memory.current');
    this.peakFd = new HeldFile(this.peakPath, 'r+');
  }

  read(): number {
    if (this.mode === 'per-fd') return this.peakFd.readNumber();
    if (this.mode === 'watermark') {
      const global = readNumber(this.peakPath);
      if (global > this.globalAtReset) return global;
    }
    this.sampled = Math.max(this.sampled, readNumber(this.currentPath));
    return this.sampled;
  }

  reset(): void {
    if (this.mode === 'per-fd') return this.peakFd.write('reset\n');
    if (this.mode === 'watermark') this.globalAtReset = readNumber(this.peakPath);
    this.sampled = readNumber(this.currentPath);
  }

  close(): void {
    this.peakFd.close();
  }
}
