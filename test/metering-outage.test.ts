import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisKeys } from '../core/redis-keys.js';
import { createDb, type Db } from '../infra/db.js';
import { migrate } from '../infra/migrate.js';
import type { RunningService } from '../infra/services/child-service.js';
import { startPostgres } from '../infra/services/postgres-server.js';
import { MeterWorker } from '../invoker/metering/meter-worker.js';
import { testContext, type TestContext } from './support/context.js';
import { appendSamples, expectedRollup, storedCount, storedRollup, until } from './support-metering/meter-harness.js';
import { sampleRecords, type Sample } from './support-metering/sample-records.js';

/**
 * The issue asks for a 30 s outage; the suite uses 6 s to stay fast. Set
 * TSFN_TEST_PG_OUTAGE_MS=30000 to run the full length.
 */
const OUTAGE_MS = Number(process.env.TSFN_TEST_PG_OUTAGE_MS ?? 6000);

let ctx: TestContext;
let scratch: string;
let server: RunningService | undefined;
let db: Db | undefined;
let worker: MeterWorker | undefined;

beforeAll(async () => {
  ctx = await testContext();
  scratch = mkdtempSync(join(tmpdir(), 'tsfn-meter-outage-'));
  // PostgreSQL runs unprivileged when we are root: it must reach its directory.
  chmodSync(scratch, 0o755);
});
afterAll(async () => {
  await worker?.stop();
  await db?.end();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
  await ctx?.close();
});

it(`a PostgreSQL outage of ${OUTAGE_MS / 1000} s under load loses nothing: records wait in the stream and land after`, async () => {
  const dir = join(scratch, 'pg');
  server = await startPostgres({ dir, durable: false });
  const port = Number(new URL(server.url).port);
  db = createDb(server.url, 'public', 4);
  await migrate(db);
  const keys = redisKeys(ctx.prefix);
  const retries: unknown[] = [];
  worker = new MeterWorker({
    redis: ctx.redis, db, stream: keys.meteringStream, logsChannel: keys.logs, batchSize: 200, blockMs: 200,
    maxBackoffMs: 500, observer: { retry: (err) => retries.push(err) },
  });
  await worker.start();

  // Invokers keep appending, 50 records every 100 ms, through the whole outage.
  const all = sampleRecords(Math.ceil((OUTAGE_MS + 6000) / 100) * 50, { stepMs: 3000, seed: 4 });
  const appended: Sample[] = [];
  let producing = true;
  const producer = (async () => {
    while (producing && appended.length < all.length) {
      const chunk = all.slice(appended.length, appended.length + 50);
      await appendSamples(ctx.redis, ctx.prefix, chunk);
      appended.push(...chunk);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  await until('records to land before the outage', async () => (await storedCount(db!)) > 0);
  await server.stop();
  const stoppedAt = Date.now();
  const appendedBefore = appended.length;
  await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
  const during = await worker.lag();
  await new Promise((r) => setTimeout(r, stoppedAt + OUTAGE_MS - Date.now()));
  expect(during.length).toBeGreaterThan(0);
  expect(retries.length).toBeGreaterThan(0);

  const appendedDuring = appended.length - appendedBefore;
  server = await startPostgres({ dir, durable: false, port });
  await new Promise((r) => setTimeout(r, 1000));
  producing = false;
  await producer;
  await until('the backlog to land', async () => {
    const lag = await worker!.lag();
    return lag.length === 0 && lag.pending === 0;
  }, 60_000);

  expect(appendedDuring).toBeGreaterThan(0);
  expect(await storedCount(db)).toBe(appended.length);
  expect(await storedRollup(db)).toEqual(await expectedRollup(db, appended));
});
