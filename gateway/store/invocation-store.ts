import type { Db } from '../../infra/db.js';
import type { MeteringRecord } from '../../core/schemas/invocation.js';
import type { InvocationStatus } from '../../core/states.js';

export interface RecordQuery {
  account?: string;
  function?: string;
  status?: InvocationStatus;
  limit: number;
}

/** Metering records as the API shows them (SPEC §4), read from PostgreSQL. */
export class InvocationStore {
  constructor(private readonly db: Db) {}

  async records(invocationId: string): Promise<MeteringRecord[]> {
    const { rows } = await this.db.query(
      'select * from invocations where invocation_id = $1 order by attempt', [invocationId]);
    return rows.map(recordFromRow);
  }

  async recent(q: RecordQuery): Promise<MeteringRecord[]> {
    const { rows } = await this.db.query(
      `select * from invocations
       where ($1::text is null or account = $1) and ($2::text is null or function = $2) and ($3::text is null or status = $3)
       order by ended_at desc limit $4`,
      [q.account ?? null, q.function ?? null, q.status ?? null, q.limit]);
    return rows.map(recordFromRow);
  }
}

const iso = (d: Date) => d.toISOString();

export function recordFromRow(r: Record<string, any>): MeteringRecord {
  return {
    invocationId: r.invocation_id, attempt: r.attempt, account: r.account, function: r.function, version: r.version,
    trigger: r.trigger, status: r.status, start: r.start,
    queuedAt: iso(r.queued_at), startedAt: iso(r.started_at), endedAt: iso(r.ended_at),
    queueMs: r.queue_ms, initMs: r.init_ms, durationMs: r.duration_ms, billedMs: Number(r.billed_ms),
    memoryLimitMiB: r.memory_limit_mib, memoryPeakBytes: Number(r.memory_peak_bytes), cpuUs: Number(r.cpu_us),
    gbSeconds: Number(r.mib_ms) / 1024000, costMicros: Number(r.cost_picos) / 1e6, invoker: r.invoker,
  };
}
