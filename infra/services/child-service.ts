import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

/** A server process this tsfn process started, and stops again. */
export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

export interface ChildService {
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns a server, keeps the tail of its output for error messages. The
 * server gets a process group of its own: Ctrl-C in a terminal signals the
 * whole foreground group, and the servers must outlive the components that
 * drain into them; whoever started them stops them, last.
 */
export function spawnService(cmd: string, args: string[], opts: SpawnOptions = {}): ChildService {
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (b: Buffer) => { tail = (tail + b.toString()).slice(-4000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit').catch(() => undefined);
  return {
    child,
    output: () => tail,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `probe` until it resolves true, or fails with the service's output. */
export async function waitReady(
  svc: ChildService, what: string, probe: () => Promise<boolean>, timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (svc.child.exitCode !== null) {
      throw new Error(`${what} exited with status ${svc.child.exitCode}: ${svc.output().trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  await svc.stop('SIGKILL');
  throw new Error(`${what} did not become ready in ${timeoutMs} ms: ${svc.output().trim().split('\n').slice(-3).join(' | ')}`);
}
