import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../core/schemas/invocation.js';
import { testContext, type TestContext } from './support/context.js';
import { InvokeClient, text } from './support/invoke-client.js';
import { spawnInvoker, stopSpawnedInvokers, waitExit } from './support/invoker-process.js';
import { testConfig } from './support/platform.js';
import { requireRoot } from './support/root.js';

/** The invoker as a process: SIGTERM drains it; after a SIGKILL the next one cleans up. */
let ctx: TestContext;
let client: InvokeClient;
let config: ReturnType<typeof testConfig>;
let slow: FunctionSpec;

const ownerDirs = (owner: string) => ['memory', 'pids', 'cpu', 'freezer'].map((c) => `/sys/fs/cgroup/${c}/tsfn/${owner}`);
const procsIn = (owner: string) => {
  const dir = `/sys/fs/cgroup/pids/tsfn/${owner}`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())
    .flatMap((d) => readFileSync(`${dir}/${d.name}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number));
};

/** Alive and not a zombie (a killed invoker's launchers are reparented and may linger unreaped). */
const running = (pid: number) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  config = testConfig(ctx);
  client = await InvokeClient.open(ctx);
  slow = await client.deploy('slow', {
    'index.ts': 'export default { async fetch() { await new Promise((r) => setTimeout(r, 1500)); return new Response("done"); } };',
  });
});
afterEach(() => stopSpawnedInvokers());
afterAll(async () => {
  await client?.close();
  await ctx?.close();
});

describe('invoker process', () => {
  it('drains on SIGTERM: finishes the running invocation, removes every container, exits 0', async () => {
    const inv = await spawnInvoker(ctx, config);
    const pending = client.call(slow);
    await new Promise((r) => setTimeout(r, 1000));
    expect(procsIn(inv.id).length).toBeGreaterThan(0);
    inv.child.kill('SIGTERM');
    const reply = await pending;
    expect(reply.status).toBe('ok');
    expect(text(reply)).toBe('done');
    expect(await waitExit(inv.child, 20_000)).toBe(0);
    for (const dir of ownerDirs(inv.id)) expect(existsSync(dir)).toBe(false);
  });

  it('cleans up after an invoker killed with SIGKILL', async () => {
    const first = await spawnInvoker(ctx, config);
    expect((await client.call(slow)).status).toBe('ok');
    const left = procsIn(first.id);
    expect(left.length).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    await waitExit(first.child, 5000);
    expect(existsSync(`/sys/fs/cgroup/memory/tsfn/${first.id}`)).toBe(true);

    const second = await spawnInvoker(ctx, config);
    try {
      for (const dir of ownerDirs(first.id)) expect(existsSync(dir)).toBe(false);
      for (const pid of left) expect(running(pid)).toBe(false);
      expect((await client.call(slow)).status).toBe('ok');
    } finally {
      second.child.kill('SIGTERM');
      expect(await waitExit(second.child, 20_000)).toBe(0);
    }
  });
});
