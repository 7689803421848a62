import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { createDb, type Db } from '../../infra/db.js';
import { migrate } from '../../infra/migrate.js';
import { RUN_TAG } from './shared-services.js';

export interface TestContext {
  redisUrl: string;
  databaseUrl: string;
  /** Redis key prefix owned by this context. */
  prefix: string;
  /** PostgreSQL schema owned by this context, migrated. */
  schema: string;
  /**
   * Data directory for invokers (layers, sockets). Shared by the test files of
   * a run, so the base layer is built once: the layer store is content
   * addressed and safe for several processes.
   */
  dataDir: string;
  db: Db;
  redis: Redis;
  /** Removes every key and the schema; call in afterAll. */
  close(): Promise<void>;
}

/** An isolated slice of the shared Redis and PostgreSQL for one test file. */
export function testContext(): Promise<TestContext> {
  return isolatedSlice(inject('redisUrl'), inject('databaseUrl'), inject('dataDir'));
}

/**
 * A Redis key prefix and a migrated PostgreSQL schema of their own, named
 * after this process so that a killed run's leftovers can be swept.
 */
export async function isolatedSlice(redisUrl: string, databaseUrl: string, dataDir: string): Promise<TestContext> {
  const rand = randomBytes(4).toString('hex');
  const prefix = `${RUN_TAG}-${process.pid}-${rand}`;
  const schema = `tsfn_t_${process.pid}_${rand}`;
  const db = createDb(databaseUrl, schema);
  await migrate(db, schema);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  return {
    redisUrl, databaseUrl, prefix, schema, dataDir, db, redis,
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
    },
  };
}
