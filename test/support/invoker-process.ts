import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { paths } from '../../core/paths.js';
import type { Config } from '../../core/config.js';
import type { TestContext } from './context.js';

export interface InvokerProcess {
  child: ChildProcess;
  /** The owner id it announced (cgroups live under tsfn/<id>). */
  id: string;
  output(): string;
}

const spawned = new Set<ChildProcess>();

/**
 * Stops every invoker a test spawned that is still running (SIGTERM, then
 * SIGKILL): call it in afterEach, so that a failed assertion leaves none behind.
 */
export async function stopSpawnedInvokers(): Promise<void> {
  await Promise.all([...spawned].map(async (child) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await waitExit(child, 20_000);
    }
    spawned.delete(child);
  }));
}

/** `tsfn invoker` as a child process (the built CLI), for tests that signal or kill it. */
export async function spawnInvoker(ctx: TestContext, config: Config, env: Record<string, string> = {}): Promise<InvokerProcess> {
  const child = spawn(process.execPath, [join(paths.root, 'bin', 'tsfn.js'), 'invoker'], {
    env: {
      PATH: process.env.PATH, REDIS_URL: ctx.redisUrl, DATABASE_URL: ctx.databaseUrl, TSFN_PREFIX: config.TSFN_PREFIX,
      TSFN_DB_SCHEMA: config.TSFN_DB_SCHEMA, TSFN_DATA_DIR: config.TSFN_DATA_DIR, TSFN_PREWARM: '0',
      TSFN_INVOKER_MEMORY_MIB: '1024', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let out = '';
  child.stdout!.on('data', (b) => { out += b; });
  child.stderr!.on('data', (b) => { out += b; });
  const until = Date.now() + 30_000;
  for (;;) {
    const m = /invoker (inv-\d+-\w+) running/.exec(out);
    if (m) return { child, id: m[1]!, output: () => out };
    if (child.exitCode !== null) throw new Error(`tsfn invoker exited early: ${out}`);
    if (Date.now() > until) throw new Error(`tsfn invoker did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitExit(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return code as number | null;
}
