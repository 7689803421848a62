import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The launcher's `attach-server`, kept running: it mounts a function's code
 * into a stem cell for one request line and answers with one line, in order.
 * Forking the small launcher for each attach costs far less than the invoker
 * (a large Node process) forking itself. Started on first use; restarted if
 * it dies.
 */
export class AttachServer {
  private child: ChildProcess | undefined;
  private pending: Pending[] = [];

  constructor(private readonly launcher: string) {}

  attach(pid: number, source: string, target: string): Promise<void> {
    if (/[\t\n]/.test(source + target)) return Promise.reject(new Error('attach: paths may not hold tabs or newlines'));
    const child = this.child ?? this.start();
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      child.stdin!.write(`${pid}\t${source}\t${target}\n`);
    });
  }

  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private start(): ChildProcess {
    const child = spawn(this.launcher, ['attach-server'], { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const p = this.pending.shift();
      if (!p) return;
      if (line === 'ok') p.resolve();
      else p.reject(new Error(`attach failed: ${line.replace(/^err \d+ /, '')}`));
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const waiting = this.pending;
      this.pending = [];
      for (const p of waiting) p.reject(new Error(`the attach server exited (${signal ?? `status ${code}`})`));
    });
    child.stdin!.on('error', () => {});
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    return child;
  }
}
