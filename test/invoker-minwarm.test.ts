import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../core/schemas/invocation.js';
import { startInvoker, type Invoker } from '../invoker/invoker.js';
import { testContext, type TestContext } from './support/context.js';
import { InvokeClient } from './support/invoke-client.js';
import { testConfig } from './support/platform.js';
import { requireRoot } from './support/root.js';

/** minWarm is per function, not per invoker: live invokers split it, and take a leaver's share. */
let ctx: TestContext;
let client: InvokeClient;
let kept: FunctionSpec;
const invokers: Invoker[] = [];

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  client = await InvokeClient.open(ctx);
  kept = await client.deploy('kept', { 'index.ts': 'export default { fetch: () => new Response("hi") };' }, { minWarm: 3 });
});
afterAll(async () => {
  for (const inv of invokers) await inv.close().catch(() => {});
  await client?.close();
  await ctx?.close();
});

const start = async () => {
  const inv = await startInvoker({
    config: testConfig(ctx), redisUrl: ctx.redisUrl, databaseUrl: ctx.databaseUrl, pool: { keepAliveMs: 1000 },
  });
  invokers.push(inv);
  return inv;
};
/** Initialised containers of the function, idle or starting (minWarm counts both). */
const warm = (inv: Invoker) => inv.pool.stats().warm + inv.pool.stats().starting;
const settle = async (check: () => boolean, ms = 30_000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not settled: ${invokers.map((i) => JSON.stringify(i.pool.stats())).join(' ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('minWarm across invokers', () => {
  it('keeps minWarm containers in all, whether one invoker runs or two, and after one leaves', async () => {
    expect(kept.minWarm).toBe(3);
    const a = await start();
    await settle(() => a.pool.stats().warm === 3);

    const b = await start();
    // Both see two live invokers within a heartbeat: 2 + 1 (or 1 + 2), a's surplus torn down after its keep-alive.
    await settle(() => a.pool.stats().warm + b.pool.stats().warm === 3 && warm(a) >= 1 && warm(b) >= 1
      && a.pool.stats().starting === 0 && b.pool.stats().starting === 0);
    // And it stays that way: no invoker starts more than its share.
    await new Promise((r) => setTimeout(r, 3000));
    expect(warm(a) + warm(b)).toBe(3);
    expect([warm(a), warm(b)].sort()).toEqual([1, 2]);

    await b.close();
    invokers.splice(invokers.indexOf(b), 1);
    await settle(() => a.pool.stats().warm === 3);
  });
});
