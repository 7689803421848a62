import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import logsCommand, { readEvents } from '../cli/commands/logs.js';
import { ApiClient } from '../cli/client.js';
import type { CliContext } from '../cli/context.js';
import { redisKeys } from '../core/redis-keys.js';
import type { GatewayEnv } from '../gateway/env.js';
import { authenticate } from '../gateway/middleware/authenticate.js';
import { onError } from '../gateway/on-error.js';
import { logRoutes } from '../gateway/routes/logs.js';
import type { LogEntry } from '../gateway/store/log-store.js';
import { MeterWorker } from '../invoker/metering/meter-worker.js';
import { testContext, type TestContext } from './support/context.js';
import { gatewayApp } from './support-metering/gateway-app.js';
import { appendSamples, until } from './support-metering/meter-harness.js';
import { sampleRecords, type Sample } from './support-metering/sample-records.js';

let ctx: TestContext;
let gw: ReturnType<typeof gatewayApp>;
let worker: MeterWorker;
let acme: string;
let globex: string;
let seed = 100;

beforeAll(async () => {
  ctx = await testContext();
  gw = gatewayApp(ctx);
  acme = await gw.account('acme');
  globex = await gw.account('globex');
  await gw.fn('acme', 'hello');
  await gw.fn('globex', 'other');
  const keys = redisKeys(ctx.prefix);
  worker = new MeterWorker({ redis: ctx.redis, db: ctx.db, stream: keys.meteringStream, logsChannel: keys.logs, blockMs: 200 });
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await gw?.close();
  await ctx?.close();
});

/** Invocations of `fn` that ended just now, with their log lines. */
function invocations(n: number, fn = 'hello', account = 'acme'): Sample[] {
  return sampleRecords(n, { accounts: [account], functions: [fn], from: Date.now() - n * 1000, stepMs: 1000, seed: seed++ })
    .map((s) => (s.logs.length ? s : { ...s, record: { ...s.record, status: 'ok' as const }, logs: [{ ts: Date.now(), level: 'log' as const, msg: 'late line' }] }));
}

async function store(samples: Sample[]) {
  await appendSamples(ctx.redis, ctx.prefix, samples);
  await until('the meter to store them', async () => {
    const lag = await worker.lag();
    return lag.length === 0 && lag.pending === 0;
  });
}

const lines = async (path: string, key = acme) => {
  const res = await gw.request(path, key);
  expect(res.status).toBe(200);
  return ((await res.json()) as { lines: LogEntry[] }).lines;
};

describe('stored logs', () => {
  it('lists the lines with their invocation id and time, oldest first', async () => {
    const s = invocations(5);
    await store(s);
    const got = await lines('/v1/functions/hello/logs?since=10m');
    const want = s.flatMap((x) => x.logs.map((l) => ({ time: new Date(l.ts).toISOString(), invocationId: x.record.invocationId, msg: l.msg })));
    expect(got.slice(-want.length).map((l) => ({ time: l.time, invocationId: l.invocationId, msg: l.msg }))).toEqual(want);
  });

  it('filters one invocation and honours limit', async () => {
    const s = invocations(3);
    await store(s);
    const one = await lines(`/v1/functions/hello/logs?invocation=${s[1]!.record.invocationId}`);
    expect(one.map((l) => l.msg)).toEqual(s[1]!.logs.map((l) => l.msg));
    const last = await lines('/v1/functions/hello/logs?limit=1');
    expect(last).toHaveLength(1);
    expect(last[0]!.msg).toBe(s[2]!.logs.at(-1)!.msg);
  });

  it('hides other accounts\' functions and refuses bad input', async () => {
    expect((await gw.request('/v1/functions/hello/logs', globex)).status).toBe(404);
    expect((await gw.request('/v1/functions/nope/logs', acme)).status).toBe(404);
    expect((await gw.request('/v1/functions/other/logs', acme)).status).toBe(404);
    for (const q of ['since=yesterday', 'invocation=42', 'limit=0', 'limit=abc']) {
      const res = await gw.request(`/v1/functions/hello/logs?${q}`, acme);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('following logs', () => {
  it('streams the recent lines, then a new invocation\'s lines within a second of being stored', async () => {
    const before = invocations(1);
    await store(before);
    const res = await gw.request('/v1/functions/hello/logs?follow=1&since=1m', acme);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const seen: LogEntry[] = [];
    const ctrl = new AbortController();
    const reading = readEvents(res.body!, (d) => seen.push(JSON.parse(d)), ctrl.signal);
    await until('the recent lines', async () => seen.some((l) => l.invocationId === before[0]!.record.invocationId), 5000);

    const [fresh] = invocations(1);
    let storedAt = 0;
    const appended = Date.now();
    await appendSamples(ctx.redis, ctx.prefix, [fresh!]);
    await until('the meter to store it', async () => {
      const { rows } = await ctx.db.query('select 1 from invocation_logs where invocation_id = $1', [fresh!.record.invocationId]);
      storedAt ||= rows.length ? Date.now() : 0;
      return rows.length > 0;
    }, 5000);
    await until('the live lines', async () => seen.filter((l) => l.invocationId === fresh!.record.invocationId).length === fresh!.logs.length, 5000);
    const shownAt = Date.now();
    expect(shownAt - storedAt).toBeLessThan(1000);
    expect(shownAt - appended).toBeLessThan(1000);
    // Each invocation shown once, though it was both stored and published.
    expect(seen.filter((l) => l.invocationId === before[0]!.record.invocationId)).toHaveLength(before[0]!.logs.length);

    const channel = redisKeys(ctx.prefix).logs('hello');
    expect((await ctx.redis.pubsub('NUMSUB', channel))[1]).toBe(1);
    ctrl.abort();
    await reading;
    await until('the follower to unsubscribe', async () => (await ctx.redis.pubsub('NUMSUB', channel))[1] === 0, 5000);
  });

  it('sends keep-alive comments while nothing happens', async () => {
    const app = new Hono<GatewayEnv>();
    app.onError(onError);
    app.use('*', authenticate(gw.deps.keys));
    app.route('/v1', logRoutes(gw.deps, { keepAliveMs: 50 }));
    const res = await app.request('/v1/functions/hello/logs?follow=1&since=1s', { headers: { authorization: `Bearer ${acme}` } });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': keep-alive')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  });

  it('tsfn logs prints `time invocation-id line`, and -f follows until the stream ends', async () => {
    const server = await gw.listen();
    const out: string[] = [];
    const cli: CliContext = { client: () => new ApiClient({ url: server.url, apiKey: acme }), out: (l) => out.push(l), err: (l) => out.push(l) };
    try {
      const s = invocations(2);
      await store(s);
      expect(await logsCommand(['hello', '--since', '5m'], cli)).toBe(0);
      const first = s[0]!.logs[0]!;
      expect(out).toContain(`${new Date(first.ts).toISOString()} ${s[0]!.record.invocationId} ${first.msg}`);

      out.length = 0;
      const following = logsCommand(['hello', '-f', '--since', '1s'], cli);
      await until('the follower to subscribe', async () => (await ctx.redis.pubsub('NUMSUB', redisKeys(ctx.prefix).logs('hello')))[1] === 1, 5000);
      const [fresh] = invocations(1);
      await appendSamples(ctx.redis, ctx.prefix, [fresh!]);
      await until('the new lines', async () => out.some((l) => l.includes(fresh!.record.invocationId)), 5000);
      await server.close();
      expect(await following).toBe(0);
    } finally {
      await server.close();
    }
  });
});
