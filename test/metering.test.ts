import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeteringStream } from '../core/metering.js';
import { redisKeys } from '../core/redis-keys.js';
import { MeterWorker } from '../invoker/metering/meter-worker.js';
import { Retention } from '../invoker/metering/retention.js';
import { testContext, type TestContext } from './support/context.js';
import {
  appendSamples, documentedCost, expectedRollup, priceRows, rollupOfRecords, storedCount, storedRollup, until,
} from './support-metering/meter-harness.js';
import { sampleRecords } from './support-metering/sample-records.js';

let ctx: TestContext;
let worker: MeterWorker | undefined;
/** Failures the worker retried; none are expected while Redis and PostgreSQL are up. */
let retries: unknown[] = [];

beforeAll(async () => {
  ctx = await testContext();
});
afterAll(async () => {
  await worker?.stop();
  expect(retries).toEqual([]);
  await ctx?.close();
});

const DAY = 86_400_000;

async function reset() {
  await worker?.stop();
  expect(retries).toEqual([]);
  worker = undefined;
  await ctx.db.query('truncate invocations, usage_daily, invocation_logs');
  await ctx.redis.unlink(redisKeys(ctx.prefix).meteringStream, `${redisKeys(ctx.prefix).meteringStream}:bad`);
}

async function startWorker(opts: { batchSize?: number } = {}) {
  const keys = redisKeys(ctx.prefix);
  worker = new MeterWorker({
    redis: ctx.redis, db: ctx.db, stream: keys.meteringStream, logsChannel: keys.logs, batchSize: opts.batchSize ?? 500,
    blockMs: 200, claimEveryMs: 100, observer: { retry: (err) => retries.push(err) },
  });
  await worker.start();
  return worker;
}

const drained = async () => {
  const lag = await worker!.lag();
  return lag.length === 0 && lag.pending === 0;
};

describe('meter worker', () => {
  it('stores exactly one record per invocation, failures and refusals included, with a rollup that matches', async () => {
    await reset();
    const samples = sampleRecords(3000, { accounts: ['default', 'acme'], functions: ['hello', 'api', 'resize'], stepMs: 137_000, seed: 7 });
    for (const status of ['ok', 'error', 'timeout', 'oom', 'crash', 'rejected']) {
      expect(samples.some((s) => s.record.status === status)).toBe(true);
    }
    // Some records are delivered twice: retried appends by an invoker.
    const twice = samples.slice(100, 160);
    await appendSamples(ctx.redis, ctx.prefix, [...samples.slice(0, 1500), ...twice]);
    await startWorker();
    await appendSamples(ctx.redis, ctx.prefix, [...samples.slice(1500), ...twice]);
    await until('the stream to drain', drained);

    expect(await storedCount(ctx.db)).toBe(3000);
    const { rows } = await ctx.db.query('select count(distinct invocation_id)::int as n from invocations');
    expect(rows[0].n).toBe(3000);
    const expected = await expectedRollup(ctx.db, samples);
    expect(await storedRollup(ctx.db)).toEqual(expected);
    expect(await rollupOfRecords(ctx.db)).toEqual(expected);
  });

  it('prices each record by the price row in force when it ended', async () => {
    await reset();
    const change = Date.parse('2026-11-15T00:00:00Z');
    await ctx.db.query('insert into prices values ($1, 20000000, 250000, 30000000)', [new Date(change)]);
    try {
      const samples = sampleRecords(400, { from: change - 200 * 60_000, stepMs: 60_000, seed: 3 });
      await appendSamples(ctx.redis, ctx.prefix, samples);
      await startWorker();
      await until('the stream to drain', drained);
      const prices = await priceRows(ctx.db);
      const { rows } = await ctx.db.query('select invocation_id, cost_picos, mib_ms from invocations');
      const stored = new Map(rows.map((r) => [r.invocation_id, r]));
      let before = 0;
      for (const { record } of samples) {
        const row = stored.get(record.invocationId)!;
        expect(BigInt(row.cost_picos)).toBe(documentedCost(record, prices));
        expect(BigInt(row.mib_ms)).toBe(BigInt(record.memoryLimitMiB * record.billedMs));
        if (Date.parse(record.endedAt) < change) before++;
      }
      expect(before).toBe(200);
      // Spot check by hand: 1024 MiB for 1000 ms, 0.5 s of CPU, after the change.
      const hand = { ...samples[300]!.record, status: 'ok' as const, memoryLimitMiB: 1024, billedMs: 1000, cpuUs: 500_000 };
      expect(documentedCost(hand, prices)).toBe(20_000_000n + 250_000n + 15_000_000n);
    } finally {
      await ctx.db.query('delete from prices where effective_from = $1', [new Date(change)]);
    }
  });

  it('moves malformed entries aside and keeps going', async () => {
    await reset();
    const stream = redisKeys(ctx.prefix).meteringStream;
    const [good] = sampleRecords(1, { seed: 11 });
    await ctx.redis.xadd(stream, '*', 'r', '{not json');
    await ctx.redis.xadd(stream, '*', 'r', JSON.stringify({ ...good!.record, invocationId: 'not-a-uuid' }));
    await ctx.redis.xadd(stream, '*', 'x', 'no record at all');
    await new MeteringStream(ctx.redis, stream).append(good!.record, good!.logs);
    await startWorker();
    await until('the stream to drain', drained);
    expect(await storedCount(ctx.db)).toBe(1);
    const bad = await ctx.redis.xrange(`${stream}:bad`, '-', '+');
    expect(bad).toHaveLength(3);
    const reasons = bad.map(([, f]) => f[f.indexOf('reason') + 1]);
    expect(reasons[1]).toMatch(/invocationId/);
  });

  it('caps the stored logs of an invocation at 256 KiB with a marker', async () => {
    await reset();
    const [s] = sampleRecords(1, { seed: 5 });
    const record = { ...s!.record, status: 'ok' as const };
    const flood = Array.from({ length: 400 }, (_, i) => ({ ts: i, level: 'log' as const, msg: 'y'.repeat(1024) }));
    await new MeteringStream(ctx.redis, redisKeys(ctx.prefix).meteringStream).append(record, flood);
    await startWorker();
    await until('the stream to drain', drained);
    const { rows } = await ctx.db.query('select lines, truncated from invocation_logs where invocation_id = $1', [record.invocationId]);
    expect(rows[0].truncated).toBe(true);
    const lines = rows[0].lines as { msg: string }[];
    expect(lines.slice(0, -1).reduce((n, l) => n + Buffer.byteLength(l.msg), 0)).toBe(256 * 1024);
    expect(lines.at(-1)!.msg).toMatch(/truncated/);
  });

  it('forgets old records and logs but keeps the rollup', async () => {
    await reset();
    const now = Date.parse('2026-11-20T12:00:00Z');
    const samples = sampleRecords(300, { from: now - 30 * DAY, stepMs: DAY / 10, seed: 9 });
    await appendSamples(ctx.redis, ctx.prefix, samples);
    await startWorker();
    await until('the stream to drain', drained);
    const rollupBefore = await storedRollup(ctx.db);
    const pruned = await new Retention(ctx.db, { recordDays: 20, logDays: 5, batch: 40 }).run(now);
    const cut = (days: number) => samples.filter((s) => Date.parse(s.record.endedAt) < now - days * DAY);
    expect(pruned.records).toBe(cut(20).length);
    expect(pruned.logs).toBe(cut(5).filter((s) => s.logs.length).length);
    const { rows } = await ctx.db.query(`select (select min(ended_at) from invocations) as rec,
      (select min(ended_at) from invocation_logs) as log`);
    expect(rows[0].rec.getTime()).toBeGreaterThanOrEqual(now - 20 * DAY);
    expect(rows[0].log.getTime()).toBeGreaterThanOrEqual(now - 5 * DAY);
    expect(await storedRollup(ctx.db)).toEqual(rollupBefore);
  });
});
