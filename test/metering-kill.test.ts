import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { redisKeys } from '../core/redis-keys.js';
import { MeterWorker } from '../invoker/metering/meter-worker.js';
import { testContext, type TestContext } from './support/context.js';
import { appendSamples, expectedRollup, storedCount, storedRollup, rollupOfRecords, until } from './support-metering/meter-harness.js';
import { sampleRecords } from './support-metering/sample-records.js';

let ctx: TestContext;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  ctx = await testContext();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await ctx?.close();
});

/** Starts a meter worker in a child process; resolves once it reads. */
async function child(consumer: string, batch: number) {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(paths.root, 'test', 'support-metering', 'meter-child.ts')], {
    env: {
      ...process.env, REDIS_URL: ctx.redisUrl, DATABASE_URL: ctx.databaseUrl, PREFIX: ctx.prefix, SCHEMA: ctx.schema,
      CONSUMER: consumer, BATCH: String(batch),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(proc);
  const exited = once(proc, 'exit');
  const lines = createInterface({ input: proc.stdout! });
  const batches: number[] = [];
  let onBatch: (() => void) | undefined;
  lines.on('line', (l) => {
    if (l.startsWith('batch ')) {
      batches.push(Number(l.slice(6)));
      onBatch?.();
    }
  });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (l) => l === 'started' && resolve());
    proc.once('exit', (code) => reject(new Error(`meter child exited early (${code})`)));
  });
  return {
    batches,
    firstBatch: () => new Promise<void>((resolve) => {
      if (batches.length) resolve();
      else onBatch = resolve;
    }),
    async kill() {
      proc.kill('SIGKILL');
      await exited;
      children.delete(proc);
    },
  };
}

/** The meter's insert of a batch, waiting on a lock we hold. */
const blockedInsert = async (db: pg.Pool) => (await db.query(
  `select count(*)::int as n from pg_stat_activity
   where wait_event_type = 'Lock' and query like '%json_to_recordset%' and query not like '%pg_stat_activity%'`)).rows[0].n > 0;

const pendingOf = async (consumer: string) => {
  const [, , , owners] = await ctx.redis.xpending(redisKeys(ctx.prefix).meteringStream, 'meter') as [number, string, string, [string, string][] | null];
  return Number((owners ?? []).find(([name]) => name === consumer)?.[1] ?? 0);
};

it('a meter killed mid-batch loses nothing and doubles nothing; the living claim its entries', async () => {
  const N = 4000;
  const samples = sampleRecords(N, { accounts: ['default', 'acme'], functions: ['hello', 'api'], stepMs: 50_000, seed: 21 });
  const first = samples.slice(0, 2500);

  // Hold the rollup rows the first batch will update, so that the worker is
  // caught inside its insert when we kill it.
  const blocker = await ctx.db.connect();
  await blocker.query('begin');
  const days = new Set(first.map((s) => `${s.record.account}|${s.record.function}|${s.record.endedAt.slice(0, 10)}`));
  for (const k of days) {
    const [account, fn, day] = k.split('|');
    await blocker.query('insert into usage_daily values ($1, $2, $3, 0, 0, 0, 0, 0, 0, 0)', [account, fn, day]);
  }
  await appendSamples(ctx.redis, ctx.prefix, first);
  const a = await child('killed-a', 5000);
  await a.firstBatch();
  expect(a.batches[0]).toBe(2500);
  await until('the insert to wait on our lock', () => blockedInsert(ctx.db));
  await a.kill();
  await blocker.query('rollback');
  blocker.release();
  await until('the orphaned insert to end', async () => !(await blockedInsert(ctx.db)));
  expect(await pendingOf('killed-a/0')).toBe(2500);
  // The batch is atomic: the killed meter's insert either rolled back or committed whole (unacknowledged).
  expect([0, 2500]).toContain(await storedCount(ctx.db));

  // A second meter is killed at an arbitrary point while records keep coming.
  const b = await child('killed-b', 300);
  await appendSamples(ctx.redis, ctx.prefix, samples.slice(2500, 3500));
  await until('a few batches', async () => b.batches.length >= 2);
  await b.kill();

  // Records delivered twice: the same record appended again.
  await appendSamples(ctx.redis, ctx.prefix, [...samples.slice(3500), ...samples.slice(0, 50), ...samples.slice(2600, 2650)]);
  const keys = redisKeys(ctx.prefix);
  const survivor = new MeterWorker({
    redis: ctx.redis, db: ctx.db, stream: keys.meteringStream, logsChannel: keys.logs, consumer: 'survivor',
    batchSize: 500, blockMs: 200, claimIdleMs: 300, claimEveryMs: 300,
  });
  await survivor.start();
  try {
    await until('every entry to be stored and acknowledged', async () => {
      const lag = await survivor.lag();
      return lag.length === 0 && lag.pending === 0;
    });
  } finally {
    await survivor.stop();
  }
  expect(await pendingOf('killed-a/0')).toBe(0);
  expect(await storedCount(ctx.db)).toBe(N);
  const expected = await expectedRollup(ctx.db, samples);
  expect(await storedRollup(ctx.db)).toEqual(expected);
  expect(await rollupOfRecords(ctx.db)).toEqual(expected);
});
