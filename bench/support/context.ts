import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createDb, type Db } from '../../infra/db.js';
import { migrate } from '../../infra/migrate.js';
import type { RunningService } from '../../infra/services/child-service.js';
import { findServices, RUN_TAG } from '../../test/support/shared-services.js';

export interface BenchContext {
  redisUrl: string;
  databaseUrl: string;
  prefix: string;
  schema: string;
  db: Db;
  redis: Redis;
  close(): Promise<void>;
}

/**
 * Redis and PostgreSQL for a benchmark, found as the tests find them
 * (REDIS_URL / DATABASE_URL, else the local servers, else private ones), under
 * a private prefix and schema removed at the end.
 */
export async function benchContext(): Promise<BenchContext> {
  const scratch = mkdtempSync(join(tmpdir(), 'tsfn-bench-'));
  chmodSync(scratch, 0o755);
  const started: RunningService[] = [];
  const { redisUrl, databaseUrl } = await findServices(scratch, started);
  const rand = randomBytes(4).toString('hex');
  const prefix = `${RUN_TAG}-${process.pid}-${rand}`;
  const schema = `tsfn_t_${process.pid}_${rand}`;
  const db = createDb(databaseUrl, schema);
  await migrate(db, schema);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  return {
    redisUrl, databaseUrl, prefix, schema, db, redis,
    async close() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.unlink(...keys);
      } while (cursor !== '0');
      redis.disconnect();
      await db.query(`drop schema if exists ${schema} cascade`);
      await db.end();
      for (const s of started.reverse()) await s.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
