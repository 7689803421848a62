import pg from 'pg';

export type Db = pg.Pool;

/** A pool whose connections all use `schema` (tests isolate themselves by schema). */
export function createDb(url: string, schema = 'public', max = 10): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    options: `-c search_path=${schema}`,
    idleTimeoutMillis: 30_000,
  });
  // An idle client's error (server restart) must not crash the process; the
  // next query reconnects.
  pool.on('error', () => {});
  return pool;
}
