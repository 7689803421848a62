import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { RunningService } from '../../infra/services/child-service.js';
import { startPostgres } from '../../infra/services/postgres-server.js';
import { startRedis } from '../../infra/services/redis-server.js';

/**
 * Test runs share Redis and PostgreSQL with each other and with whatever else
 * runs on the machine, so every test file works under names carrying its
 * process id: Redis prefix `tsfn-t-<pid>-<rand>`, schema `tsfn_t_<pid>_<rand>`.
 * What a killed run left (its pid no longer alive) is swept at the next start.
 */
export const RUN_TAG = 'tsfn-t';

export async function redisReachable(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export async function pgReachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export async function sweepDeadRuns(redisUrl: string, databaseUrl: string): Promise<void> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${RUN_TAG}-*`, 'COUNT', 1000);
      cursor = next;
      const dead = keys.filter((k) => !alive(Number(k.split('-')[2])));
      if (dead.length) await r.unlink(...dead);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query(
      "select nspname from pg_namespace where nspname like 'tsfn\\_t\\_%'");
    for (const { nspname } of rows as { nspname: string }[]) {
      if (!alive(Number(nspname.split('_')[2]))) await c.query(`drop schema if exists ${nspname} cascade`);
    }
  } finally {
    await c.end();
  }
}

/**
 * Redis and PostgreSQL for tests and benchmarks: REDIS_URL / DATABASE_URL when
 * set, else this machine's servers on their standard ports when they answer,
 * else private servers under `scratch` (added to `started`, to be stopped).
 */
export async function findServices(
  scratch: string, started: RunningService[], opts: { durable?: boolean } = {},
): Promise<{ redisUrl: string; databaseUrl: string }> {
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    if (await redisReachable('redis://127.0.0.1:6379')) redisUrl = 'redis://127.0.0.1:6379';
    else {
      const r = await startRedis({ dir: join(scratch, 'redis'), persist: false });
      started.push(r);
      redisUrl = r.url;
    }
  }
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const local = 'postgres://postgres@127.0.0.1:5432/test';
    if (await pgReachable(local)) databaseUrl = local;
    else {
      const p = await startPostgres({ dir: join(scratch, 'postgres'), durable: opts.durable ?? false });
      started.push(p);
      databaseUrl = p.url;
    }
  }
  return { redisUrl, databaseUrl };
}
