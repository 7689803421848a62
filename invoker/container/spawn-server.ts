import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A launcher process started by the spawn server, and what it is connected to. */
export interface LaunchedProcess {
  launcherPid: number;
  /** The container's fd 3: the control channel. */
  control: Socket;
  /** The container's stdout and stderr, merged. */
  output: Socket;
  /** Host pid of the container's pid 1, once the payload runs. */
  initPid: Promise<number>;
  /** The launcher's exit code (128+N for signal N). */
  exited: Promise<number>;
}

interface Pending {
  control?: Socket;
  output?: Socket;
  launcherPid?: number;
  resolve(p: LaunchedProcess): void;
  reject(err: Error): void;
  initPid: Deferred<number>;
  exited: Deferred<number>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: Error): void;
}

/**
 * The launcher's `spawn-server`, kept running: it forks container launchers
 * for the invoker, whose own fork would copy the page tables of a large
 * process (5-10 ms, blocking its event loop). The containers' control
 * channels and output come back as connections to a unix socket in a
 * directory only root can enter, named after this process.
 */
export class SpawnServer {
  private readonly pending = new Map<string, Pending>();
  private constructor(
    private readonly server: Server,
    private readonly child: ChildProcess,
    private readonly socketPath: string,
  ) {}

  static async start(launcher: string, runDir: string): Promise<SpawnServer> {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    removeStaleSockets(runDir);
    const socketPath = join(runDir, `spawn-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    server.unref();
    // A process group of its own, inherited by every launcher and container it
    // starts: Ctrl-C in the invoker's terminal is for the invoker, which drains
    // its containers, not for the functions running in them.
    const child = spawn(launcher, ['spawn-server', socketPath], { stdio: ['pipe', 'pipe', 'inherit'], env: {}, detached: true });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    const s = new SpawnServer(server, child, socketPath);
    server.on('connection', (socket) => s.accept(socket));
    createInterface({ input: child.stdout! }).on('line', (line) => s.answer(line));
    child.on('exit', (code, signal) => s.failAll(new Error(`the spawn server exited (${signal ?? `status ${code}`})`)));
    child.stdin!.on('error', () => {});
    return s;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Runs `tsfn-launcher ARGS` (ARGS beginning with `run`, with --pass-fd 3 --info-fd 4). */
  launch(args: string[]): Promise<LaunchedProcess> {
    if (!this.alive) return Promise.reject(new Error('the spawn server is not running'));
    if (args.some((a) => a.includes('\0') || a === '')) return Promise.reject(new Error('launcher arguments may not be empty or hold NUL'));
    const id = randomBytes(12).toString('hex');
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, initPid: deferred(), exited: deferred() });
      this.child.stdin!.write(`${[id, ...args].join('\0')}\0\0`);
    });
  }

  close(): void {
    this.child.stdin?.end();
    this.server.close();
    rmSync(this.socketPath, { force: true });
  }

  /** A connection from the server: `ctl ID` or `out ID`, then the container's bytes. */
  private accept(socket: Socket) {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) {
        if (head.length > 128) socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.pause();
      const [role, id] = head.subarray(0, nl).toString().split(' ');
      const rest = head.subarray(nl + 1);
      if (rest.length) socket.unshift(rest);
      const p = id ? this.pending.get(id) : undefined;
      if (!p || (role !== 'ctl' && role !== 'out')) {
        socket.destroy();
        return;
      }
      if (role === 'ctl') p.control = socket;
      else p.output = socket;
      this.settle(id!, p);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  }

  private answer(line: string) {
    const [kind, id, ...rest] = line.split(' ');
    const p = id ? this.pending.get(id) : undefined;
    if (!p) return;
    const value = rest.join(' ');
    if (kind === 'spawned') {
      p.launcherPid = Number(value);
      this.settle(id!, p);
    } else if (kind === 'pid') {
      p.initPid.resolve(Number(value));
    } else if (kind === 'exit') {
      this.pending.delete(id!);
      p.initPid.reject(new Error(`the launcher exited with status ${value} before the container ran`));
      p.exited.resolve(Number(value));
      p.reject(new Error(`the launcher exited with status ${value}`));
    } else if (kind === 'err') {
      this.pending.delete(id!);
      p.reject(new Error(`the spawn server could not start a container: ${value}`));
    }
  }

  /** Hands the process out once it runs and both of its connections arrived. */
  private settle(id: string, p: Pending) {
    if (p.launcherPid === undefined || !p.control || !p.output) return;
    p.resolve({ launcherPid: p.launcherPid, control: p.control, output: p.output, initPid: p.initPid.promise, exited: p.exited.promise });
    // Stays pending until its exit, which the server reports.
  }

  private failAll(err: Error) {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
      p.initPid.reject(err);
      p.exited.resolve(-1);
    }
  }
}

/** Sockets of spawn servers whose invoker process is gone (killed before it could remove them). */
function removeStaleSockets(runDir: string) {
  for (const name of readdirSync(runDir)) {
    const pid = Number(/^spawn-(\d+)-[0-9a-f]+\.sock$/.exec(name)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(runDir, name), { force: true });
    }
  }
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, reject };
}
