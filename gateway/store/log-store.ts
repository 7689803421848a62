import type { Db } from '../../infra/db.js';
import type { LogLine } from '../../core/schemas/control.js';

/** One log line as the logs API shows it. */
export interface LogEntry {
  /** ISO time the line was written. */
  time: string;
  invocationId: string;
  attempt: number;
  level: LogLine['level'];
  msg: string;
}

export interface LogQuery {
  function: string;
  account: string;
  /** Invocations that ended at or after this time. */
  since: Date;
  invocationId?: string;
  /** Most lines returned: the latest ones. */
  limit: number;
}

/** Stored invocation logs (written by the meter worker), newest last. */
export class LogStore {
  constructor(private readonly db: Db) {}

  async recent(q: LogQuery): Promise<LogEntry[]> {
    // Every stored invocation has at least one line, so `limit` invocations hold enough.
    const { rows } = await this.db.query(
      `select invocation_id, attempt, lines from invocation_logs
       where function = $1 and account = $2 and ended_at >= $3 and ($4::uuid is null or invocation_id = $4)
       order by ended_at desc, invocation_id desc, attempt desc limit $5`,
      [q.function, q.account, q.since, q.invocationId ?? null, q.limit]);
    const out: LogEntry[] = [];
    for (const r of rows.reverse()) out.push(...toEntries(r.invocation_id, r.attempt, r.lines));
    return out.slice(-q.limit);
  }
}

export function toEntries(invocationId: string, attempt: number, lines: LogLine[]): LogEntry[] {
  return lines.map((l) => ({ time: iso(l.ts), invocationId, attempt, level: l.level, msg: l.msg }));
}

/** A line's time comes from the function's container: an absurd clock must not break the listing. */
function iso(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString();
}
