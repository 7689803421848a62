import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../core/paths.js';
import type { Db } from './db.js';

/**
 * Applies infra/sql/NNNN_*.sql in order, each once, each in its own
 * transaction, under an advisory lock so that processes starting together
 * (gateways, invokers, meter) do not race. Safe to call at every start.
 */
export async function migrate(db: Db, schema = 'public'): Promise<string[]> {
  const files = readdirSync(paths.sql).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
  const client = await db.connect();
  const applied: string[] = [];
  try {
    await client.query(`create schema if not exists ${schema}`);
    await client.query('select pg_advisory_lock(hashtext($1))', [`tsfn-migrate:${schema}`]);
    await client.query(`create table if not exists schema_migrations (
      version text primary key, applied_at timestamptz not null default now())`);
    const done = new Set((await client.query('select version from schema_migrations')).rows.map((r) => r.version));
    for (const file of files) {
      const version = file.slice(0, 4);
      if (done.has(version)) continue;
      await client.query('begin');
      try {
        await client.query(readFileSync(join(paths.sql, file), 'utf8'));
        await client.query('insert into schema_migrations (version) values ($1)', [version]);
        await client.query('commit');
        applied.push(file);
      } catch (err) {
        await client.query('rollback');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await client.query('select pg_advisory_unlock(hashtext($1))', [`tsfn-migrate:${schema}`]).catch(() => {});
    client.release();
  }
  return applied;
}
