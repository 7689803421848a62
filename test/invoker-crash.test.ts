import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../core/schemas/invocation.js';
import { testContext, type TestContext } from './support/context.js';
import { InvokeClient } from './support/invoke-client.js';
import { spawnInvoker, stopSpawnedInvokers, waitExit } from './support/invoker-process.js';
import { streamEntry } from './support/metering-stream.js';
import { testConfig } from './support/platform.js';
import { requireRoot } from './support/root.js';

/** Nothing lost: an invocation whose invoker is killed mid-run is run again by another invoker, and metered once. */
let ctx: TestContext;
let client: InvokeClient;
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  config = testConfig(ctx);
  client = await InvokeClient.open(ctx);
});
afterEach(() => stopSpawnedInvokers());
afterAll(async () => {
  await client?.close();
  await ctx?.close();
});

describe('an invoker killed in the middle of an invocation', () => {
  it('leaves the job to the next invoker once its lock lapses', async () => {
    const fn = await client.deploy('patient', {
      'index.ts': 'export async function handler(e: any) { await new Promise((r) => setTimeout(r, 1500)); return { done: e.n }; }',
    });
    const lock = { TSFN_JOB_LOCK_MS: '2000' };
    const first = await spawnInvoker(ctx, config, lock);
    const id = await client.callAsync(fn, '{"n":42}');
    await expect.poll(async () => (await client.queue.getJob(id))?.getState(), { timeout: 10_000 }).toBe('active');
    first.child.kill('SIGKILL');
    await waitExit(first.child, 5000);

    const second = await spawnInvoker(ctx, config, lock);
    try {
      await expect.poll(async () => (await client.queue.getJob(id))?.getState(), { timeout: 20_000, interval: 200 }).toBe('completed');
      const job = await client.queue.getJob(id);
      const reply = job!.returnvalue as Reply;
      expect(reply.status).toBe('ok');
      expect(JSON.parse(Buffer.from(reply.http!.bodyB64, 'base64').toString())).toEqual({ done: 42 });
      const { record } = await streamEntry(ctx.redis, ctx.prefix, id);
      expect(record).toMatchObject({ status: 'ok', trigger: 'async', attempt: 1 });
    } finally {
      second.child.kill('SIGTERM');
      expect(await waitExit(second.child, 20_000)).toBe(0);
    }
  });
});
