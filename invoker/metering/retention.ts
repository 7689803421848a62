import type pg from 'pg';
import type { Db } from '../../infra/db.js';

export interface RetentionOptions {
  /** Raw invocation records older than this many days are deleted (TSFN_RECORD_RETENTION_DAYS). */
  recordDays: number;
  /** Log lines older than this many days are deleted (TSFN_LOG_RETENTION_DAYS). */
  logDays: number;
  /** Rows per delete statement: short transactions that never stall the meter's inserts. */
  batch?: number;
}

export interface Pruned {
  records: number;
  logs: number;
}

const DAY_MS = 86_400_000;
/** Only one meter of an installation prunes at a time; the others skip the round. */
const LOCK = 'tsfn-retention';

/**
 * Deletes old raw records and logs, in batches, keeping the daily rollup
 * (usage_daily) whole: reports and statements outlive the records they sum.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private state: 'active' | 'stopping' = 'active';
  private running: Promise<unknown> | undefined;
  private readonly batch: number;

  constructor(private readonly db: Db, private readonly opts: RetentionOptions) {
    this.batch = opts.batch ?? 10_000;
  }

  async run(now = Date.now()): Promise<Pruned> {
    const client = await this.db.connect();
    try {
      const { rows } = await client.query('select pg_try_advisory_lock(hashtext($1)) as ok', [LOCK]);
      if (!rows[0].ok) return { records: 0, logs: 0 };
      try {
        return {
          records: await this.prune(client, 'invocations', new Date(now - this.opts.recordDays * DAY_MS)),
          logs: await this.prune(client, 'invocation_logs', new Date(now - this.opts.logDays * DAY_MS)),
        };
      } finally {
        await client.query('select pg_advisory_unlock(hashtext($1))', [LOCK]);
      }
    } finally {
      client.release();
    }
  }

  /** Runs now and then every `everyMs`; failures are reported and retried at the next round. */
  start(everyMs = 3_600_000, onError: (err: unknown) => void = () => {}): void {
    const round = () => {
      this.running = this.run().catch(onError);
    };
    round();
    this.timer = setInterval(round, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.state = 'stopping';
    clearInterval(this.timer);
    await this.running;
  }

  private async prune(client: pg.PoolClient, table: 'invocations' | 'invocation_logs', before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await client.query(
        `delete from ${table} where ctid = any(array(select ctid from ${table} where ended_at < $1 limit $2))`,
        [before, this.batch]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < this.batch || this.state === 'stopping') return total;
    }
  }
}
