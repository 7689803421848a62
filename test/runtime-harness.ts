import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../core/framing.js';
import { paths } from '../core/paths.js';
import {
  FromShim, type ErrorFrame, type InitFrame, type InvokeFrame, type LogLine, type ResultFrame,
} from '../core/schemas/control.js';
import { SHIM_ENV } from '../invoker/runtime/shim-command.js';

/**
 * Drives the built shim (dist/shim.cjs) as the invoker does: a child process
 * whose fd 3 is a Unix socket, a clean environment, frames validated with the
 * same schemas the invoker uses. Used only by test/runtime*.test.ts.
 */
export interface Received {
  frame: FromShim;
  body: Buffer;
}

export interface Answer {
  /** The final frame: result or error. */
  final: ResultFrame | ErrorFrame;
  body: Buffer;
  /** Every log line of the invocation: from `log` frames, then the final frame. */
  logs: LogLine[];
  /** How many `log` frames came before the final one. */
  logFrames: number;
}

export interface ShimOptions { args?: string[]; extraFds?: number; nodeArgs?: string[] }

const WAIT_MS = 10_000;
const live = new Set<ShimProcess>();
const scratch: string[] = [];

export class ShimProcess {
  readonly child: ChildProcess;
  readonly received: Received[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly control: Socket;
  private readonly waiters = new Set<() => void>();
  private cursor = 0;

  /** nodeArgs: node's own options, before the shim (a `--require` preload, say). */
  constructor(opts: ShimOptions = {}) {
    const stdio: Array<'pipe'> = Array.from({ length: 4 + (opts.extraFds ?? 0) }, () => 'pipe' as const);
    this.child = spawn(process.execPath, [...(opts.nodeArgs ?? []), paths.shim, ...(opts.args ?? [])], { stdio, env: { ...SHIM_ENV } });
    live.add(this);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      live.delete(this);
      resolve({ code, signal });
      this.wake();
    }));
    this.child.stdout!.on('data', (d: Buffer) => { this.stdout += d.toString(); });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.control = this.child.stdio[3] as Socket;
    const decoder = new FrameDecoder(1 << 28);
    this.control.on('data', (chunk: Buffer) => {
      for (const { meta, body } of decoder.push(chunk)) {
        // Strict, as the invoker is: a frame off the schema fails the test.
        this.received.push({ frame: FromShim.parse(meta), body });
      }
      this.wake();
    });
    this.control.on('error', () => undefined);
  }

  /** A socket the child inherited beyond fd 3, for tests about inherited descriptors. */
  extraFd(n: number): Socket {
    return this.child.stdio[n] as Socket;
  }

  send(meta: object, body?: Uint8Array): void {
    this.control.write(encodeFrame(meta, body));
  }

  /** Closes the invoker's end of the channel. */
  hangUp(): void {
    this.control.end();
  }

  /** The next frame not yet taken that matches; frames before it are skipped over, not lost. */
  async next(match: (r: Received) => boolean, what: string): Promise<Received> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      for (let i = this.cursor; i < this.received.length; i++) {
        if (match(this.received[i]!)) {
          this.cursor = i + 1;
          return this.received[i]!;
        }
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`shim exited before ${what}; stderr: ${this.stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.add(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  async ready(): Promise<void> {
    await this.next((r) => r.frame.t === 'ready', 'ready');
  }

  async init(codeDir: string, over: Partial<InitFrame> = {}): Promise<FromShim> {
    const init: InitFrame = {
      t: 'init', name: 'fixture', version: 3, memoryMiB: 128, codeDir, entry: 'index.mjs',
      env: {}, maxResponseBytes: 6 * 1024 * 1024, ...over,
    };
    this.send(init);
    const r = await this.next((x) => x.frame.t === 'init-ok' || x.frame.t === 'init-error', 'init answer');
    return r.frame;
  }

  /** Sends an invoke and gathers everything the shim sends for that id until its final frame. */
  async invoke(over: Partial<Omit<InvokeFrame, 'http'>> & { http?: Partial<InvokeFrame['http']> } = {}, body?: Uint8Array): Promise<Answer> {
    const id = over.id ?? `inv-${Math.random().toString(36).slice(2, 10)}`;
    const frame: InvokeFrame = {
      t: 'invoke', id, kind: 'http', start: 'warm', trigger: 'http', deadline: Date.now() + 30_000,
      account: 'acct-1', ...over,
      http: { method: 'GET', path: '/', query: '', headers: [], ...over.http },
    };
    this.send(frame, body);
    const logs: LogLine[] = [];
    let logFrames = 0;
    for (;;) {
      const r = await this.next((x) => 'id' in x.frame && x.frame.id === id, `answer to ${id}`);
      const f = r.frame;
      if (f.t === 'log') {
        logs.push(...f.logs);
        logFrames += 1;
        continue;
      }
      if (f.t !== 'result' && f.t !== 'error') throw new Error(`unexpected ${f.t} frame for ${id}`);
      logs.push(...f.logs);
      return { final: f, body: r.body, logs, logFrames };
    }
  }

  private wake(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}

/** Starts a shim and waits for its `ready`. */
export async function startShim(opts: ShimOptions = {}): Promise<ShimProcess> {
  const shim = new ShimProcess(opts);
  await shim.ready();
  return shim;
}

/** Writes a function's files to a fresh directory: `{ 'index.mjs': source, ... }`. */
export function writeFunction(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsfn-runtime-fn-'));
  scratch.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** A scratch directory removed by cleanUp(). */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsfn-runtime-'));
  scratch.push(dir);
  return dir;
}

/** Kills every shim still running (by its pid) and removes scratch directories. */
export async function cleanUp(): Promise<void> {
  await Promise.all([...live].map(async (s) => {
    s.child.kill('SIGKILL');
    await s.exited;
  }));
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function ok(a: Answer): ResultFrame {
  if (a.final.t !== 'result') throw new Error(`expected a result, got ${JSON.stringify(a.final)}`);
  return a.final;
}

export function failure(a: Answer): ErrorFrame {
  if (a.final.t !== 'error') throw new Error(`expected an error frame, got ${JSON.stringify(a.final)} ${a.body}`);
  return a.final;
}

export function json(a: Answer): any {
  ok(a);
  return JSON.parse(a.body.toString('utf8'));
}
