import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../infra/db.js';
import { migrate } from '../infra/migrate.js';
import { startPostgres } from '../infra/services/postgres-server.js';
import { startRedis } from '../infra/services/redis-server.js';

/**
 * The private servers `tsfn up` and the test suite start on a machine that has
 * no REDIS_URL / DATABASE_URL: real redis-server and PostgreSQL binaries, on
 * free ports, under a data directory, stopped again.
 */
const scratch = mkdtempSync(join(tmpdir(), 'tsfn-test-private-'));
// PostgreSQL runs as an unprivileged user, who must be able to reach its data directory.
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('private servers', () => {
  it('starts Redis with persistence, keeps data across a restart, stops', async () => {
    const dir = join(scratch, 'redis');
    const first = await startRedis({ dir, persist: true });
    const r1 = new Redis(first.url);
    await r1.set('tsfn-test-key', 'kept');
    r1.disconnect();
    await first.stop();
    const second = await startRedis({ dir, persist: true });
    const r2 = new Redis(second.url);
    expect(await r2.get('tsfn-test-key')).toBe('kept');
    r2.disconnect();
    await second.stop();
    const gone = new Redis(second.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    gone.on('error', () => {});
    await expect(gone.connect()).rejects.toThrow();
  });

  it('initialises PostgreSQL, migrates it twice (idempotent), stops it', async () => {
    const dir = join(scratch, 'postgres');
    const pg = await startPostgres({ dir, durable: false });
    try {
      expect(existsSync(join(dir, 'postmaster.pid'))).toBe(true);
      const db = createDb(pg.url);
      expect((await migrate(db)).length).toBeGreaterThan(0);
      expect(await migrate(db)).toEqual([]);
      const { rows } = await db.query('select name from accounts');
      expect(rows).toEqual([{ name: 'default' }]);
      await db.end();
    } finally {
      await pg.stop();
    }
    expect(existsSync(join(dir, 'postmaster.pid'))).toBe(false);
  });
});
