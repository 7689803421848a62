/**
 * npm run bench:meter — sustained insert throughput of the meter worker.
 *
 * Fills a metering stream with N realistic records (every status, two log
 * lines each), then times one MeterWorker draining it into PostgreSQL: from
 * start() until the last record is committed and acknowledged. Prints each
 * run and the median. Uses REDIS_URL / DATABASE_URL when set, else the local
 * servers on their standard ports, else private servers started here; each run
 * works under its own Redis prefix and PostgreSQL schema, removed afterwards.
 *
 * Environment: BENCH_METER_N (200000), BENCH_METER_RUNS (5), BENCH_METER_BATCH (1000),
 * BENCH_METER_LANES (2).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisKeys } from '../core/redis-keys.js';
import { createDb } from '../infra/db.js';
import { migrate } from '../infra/migrate.js';
import type { RunningService } from '../infra/services/child-service.js';
import { MeterWorker } from '../invoker/metering/meter-worker.js';
import { findServices } from '../test/support/shared-services.js';
import { entryFields, sampleRecords } from '../test/support-metering/sample-records.js';
import { median } from './support/stats.js';

const N = Number(process.env.BENCH_METER_N ?? 200_000);
const RUNS = Number(process.env.BENCH_METER_RUNS ?? 5);
const BATCH = Number(process.env.BENCH_METER_BATCH ?? 1000);
const LANES = Number(process.env.BENCH_METER_LANES ?? 2);

async function run(redisUrl: string, databaseUrl: string, seed: number): Promise<number> {
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const prefix = `tsfn-bench-${tag}`;
  const schema = `tsfn_bench_${tag.replace('-', '_')}`;
  const keys = redisKeys(prefix);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const db = createDb(databaseUrl, schema, 4);
  try {
    await migrate(db, schema);
    const samples = sampleRecords(N, { seed, accounts: ['default', 'acme', 'globex'], functions: ['hello', 'api', 'thumbnail', 'resize', 'auth'], stepMs: 10 });
    for (let i = 0; i < samples.length; i += 10_000) {
      const p = redis.pipeline();
      for (const s of samples.slice(i, i + 10_000)) p.xadd(keys.meteringStream, '*', ...entryFields(s));
      await p.exec();
    }
    let stored = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => { done = resolve; });
    const worker = new MeterWorker({
      redis, db, stream: keys.meteringStream, logsChannel: keys.logs, batchSize: BATCH, lanes: LANES,
      observer: { stored: (inserted) => { stored += inserted; if (stored >= N) done(); } },
    });
    const t0 = performance.now();
    await worker.start();
    await finished;
    // Acknowledged too: the stream is empty.
    while ((await worker.lag()).length > 0) await new Promise((r) => setTimeout(r, 1));
    const ms = performance.now() - t0;
    await worker.stop();
    const { rows } = await db.query('select count(*)::int as n, (select sum(invocations)::int from usage_daily) as rolled from invocations');
    if (rows[0].n !== N || rows[0].rolled !== N) throw new Error(`expected ${N} records, stored ${rows[0].n}, rolled up ${rows[0].rolled}`);
    return N / (ms / 1000);
  } finally {
    await redis.unlink(keys.meteringStream, `${keys.meteringStream}:bad`).catch(() => {});
    redis.disconnect();
    await db.query(`drop schema if exists ${schema} cascade`).catch(() => {});
    await db.end();
  }
}

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'tsfn-bench-meter-'));
  chmodSync(scratch, 0o755);
  const started: RunningService[] = [];
  try {
    const { redisUrl, databaseUrl } = await findServices(scratch, started, { durable: true });
    console.log(`meter bench: ${N} records per run, batch ${BATCH}, ${LANES} lanes, ${RUNS} runs`);
    const rates: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const rate = await run(redisUrl, databaseUrl, i + 1);
      rates.push(rate);
      console.log(`  run ${i + 1}: ${Math.round(rate).toLocaleString('en-US')} records/s`);
    }
    console.log(`median: ${Math.round(median(rates)).toLocaleString('en-US')} records/s (target ≥ 10,000)`);
  } finally {
    for (const s of started.reverse()) await s.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
