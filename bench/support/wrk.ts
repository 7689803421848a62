import { execFileSync, spawnSync } from 'node:child_process';

export interface LoadResult {
  rps: number;
  /** Requests completed over the whole load. */
  requests: number;
  p50: number;
  p99: number;
  /** non2xx + socket errors + timeouts */
  errors: number;
  /** Answers other than 2xx or 3xx. */
  non2xx: number;
  /** Connect, read and write errors. */
  socketErrors: number;
  /** Requests not answered within wrk's timeout (2 s). */
  timeouts: number;
}

/** Drives `url` with wrk (Debian's `wrk`): one thread, `connections` keep-alive connections. */
export function wrk(url: string, connections: number, seconds: number): LoadResult {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in /.exec(out)?.[1]);
  const lat = (p: string) => toMs(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out));
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors:.*?connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0;
  const timeouts = socket ? Number(socket[4]) : 0;
  return { rps, requests, p50: lat('50'), p99: lat('99'), errors: non2xx + socketErrors + timeouts, non2xx, socketErrors, timeouts };
}

function toMs(m: RegExpExecArray | null): number {
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

export function requireWrk(): void {
  if (spawnSync('wrk', ['--version']).error) {
    throw new Error('bench:http needs wrk (apt-get install wrk)');
  }
}
