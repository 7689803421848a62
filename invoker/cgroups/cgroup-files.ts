import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CgroupError } from './cgroup-error.js';

// Synchronous reads and writes of cgroupfs files, each one open/read/close
// (about 10 µs here; the per-invocation counters use HeldFile instead). Every
// failure names the file.

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    throw new CgroupError(`read ${path}: ${errnoOf(err) ?? String(err)}`, { code: errnoOf(err), cause: err });
  }
}

/** A file holding one number; `max` reads as Infinity. */
export function readNumber(path: string): number {
  const text = readText(path).trim();
  if (text === 'max') return Infinity;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new CgroupError(`read ${path}: expected a number, got ${JSON.stringify(text)}`);
  return n;
}

export function writeText(path: string, value: string | number): void {
  try {
    writeFileSync(path, String(value));
  } catch (err) {
    const code = errnoOf(err);
    throw new CgroupError(`write ${JSON.stringify(String(value))} to ${path}: ${code ?? String(err)}`, { code, cause: err });
  }
}

/** The value of `key` in a flat-keyed file (`cpu.stat`, `memory.events`, `memory.oom_control`). */
export function keyedValue(text: string, key: string): number | undefined {
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(0, space) === key) return Number(line.slice(space + 1));
  }
  return undefined;
}

export function requireKeyed(path: string, key: string): number {
  const value = keyedValue(readText(path), key);
  if (value === undefined || !Number.isFinite(value)) throw new CgroupError(`read ${path}: no "${key}" line`);
  return value;
}

/** The pids in a `cgroup.procs` file; a cgroup that no longer exists holds none. */
export function readPids(path: string): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw new CgroupError(`read ${path}: ${errnoOf(err) ?? String(err)}`, { code: errnoOf(err), cause: err });
  }
  const pids: number[] = [];
  for (const line of text.split('\n')) if (line) pids.push(Number(line));
  return pids;
}

export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if (errnoOf(err) !== 'ESRCH') throw new CgroupError(`kill ${signal} ${pid}: ${errnoOf(err)}`, { code: errnoOf(err), cause: err });
    }
  }
}

export function makeDir(path: string): void {
  try {
    mkdirSync(path);
  } catch (err) {
    throw new CgroupError(`mkdir ${path}: ${errnoOf(err) ?? String(err)}`, { code: errnoOf(err), cause: err });
  }
}

/** mkdir that accepts an existing directory (parents shared with other owners). */
export function ensureDir(path: string): void {
  try {
    mkdirSync(path);
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw new CgroupError(`mkdir ${path}: ${errnoOf(err) ?? String(err)}`, { code: errnoOf(err), cause: err });
  }
}

/**
 * Polls `done` until it holds or `timeoutMs` passes, and says which: at once,
 * then every 1 ms backing off to 10 ms, since the kernel settles freezer and
 * exit state within a few milliseconds.
 */
export async function pollUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(delay);
    delay = Math.min(delay * 2, 10);
  }
  return true;
}

export async function waitFor(done: () => boolean, timeoutMs: number, failure: () => string): Promise<void> {
  if (!(await pollUntil(done, timeoutMs))) throw new CgroupError(failure(), { code: 'ETIMEDOUT' });
}

/** rmdir a cgroup, retrying while the kernel still counts exiting tasks (EBUSY); gone already is fine. */
export async function removeDir(path: string, rmdir: (path: string) => void, timeoutMs: number): Promise<void> {
  let last = '';
  await waitFor(() => {
    try {
      rmdir(path);
      return true;
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY') throw new CgroupError(`rmdir ${path}: ${code ?? String(err)}`, { code, cause: err });
      last = code;
      return false;
    }
  }, timeoutMs, () => `rmdir ${path}: still ${last} after ${timeoutMs} ms`);
}
