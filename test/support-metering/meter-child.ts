/**
 * A meter worker in a process of its own, for tests that SIGKILL it.
 * Prints `started` once reading, and `batch <n>` as each batch is about to be
 * written. Configured by REDIS_URL, DATABASE_URL, PREFIX, SCHEMA, CONSUMER, BATCH.
 */
import { redisKeys } from '../../core/redis-keys.js';
import { createDb } from '../../infra/db.js';
import { MeterWorker } from '../../invoker/metering/meter-worker.js';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const keys = redisKeys(env('PREFIX'));
const worker = new MeterWorker({
  redis: env('REDIS_URL'), db: createDb(env('DATABASE_URL'), env('SCHEMA'), 2),
  stream: keys.meteringStream, logsChannel: keys.logs, consumer: env('CONSUMER'),
  batchSize: Number(env('BATCH')), lanes: 1, blockMs: 200,
  observer: { batch: (n) => process.stdout.write(`batch ${n}\n`) },
});
await worker.start();
process.stdout.write('started\n');
