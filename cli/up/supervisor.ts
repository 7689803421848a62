import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface Component {
  name: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Runs the platform's components as child processes and restarts one that
 * dies (a crash of one process loses nothing: jobs stay in Redis, records in
 * the metering stream), with a growing delay so a broken one does not spin.
 */
export class Supervisor {
  private children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(private readonly log: (line: string) => void) {}

  start(c: Component, attempt = 0): void {
    if (this.stopping) return;
    const child = spawn(process.execPath, c.argv, { env: c.env, stdio: ['ignore', 'inherit', 'inherit'] });
    this.children.set(c.name, child);
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      this.children.delete(c.name);
      if (this.stopping) return;
      const lived = Date.now() - startedAt;
      const next = lived > 30_000 ? 0 : attempt + 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(next, 6));
      this.log(`tsfn up: ${c.name} exited (${signal ?? `status ${code}`}); restarting in ${(delay / 1000).toFixed(1)} s`);
      setTimeout(() => this.start(c, next), delay).unref();
    });
  }

  /** SIGTERM to every component (the invoker drains), SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.children.values()].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }));
  }
}
