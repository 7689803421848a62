import type { Db } from '../../infra/db.js';
import { costPicos, mibMsOf, PriceBook, priceFromRow } from './pricing.js';
import type { MeterEntry } from './meter-entry.js';

/** `<invocationId>/<attempt>`: the key of an invocations row (UUIDs come back from PostgreSQL in lower case). */
export const recordKey = (r: { invocationId: string; attempt: number }): string => `${r.invocationId.toLowerCase()}/${r.attempt}`;

/**
 * One statement, hence one transaction, per batch: insert the records,
 * skipping those already stored; add exactly the inserted ones to the daily
 * rollup (so a redelivered record is never counted twice); store the logs of
 * the inserted ones. The records travel as one JSON document, which PostgreSQL
 * unpacks with json_to_recordset, and the logs as arrays (JSON text each: a
 * nested jsonb field of json_to_recordset costs several times more): a fixed
 * number of parameters whatever the batch size.
 * The rollup rows are written in key order so that concurrent meters lock
 * them in the same order and cannot deadlock each other.
 */
const INSERT = `
with rec as (
  select * from json_to_recordset($1::json) as r(
    invocation_id uuid, attempt integer, account text, function text, version integer, trigger text,
    status text, start text, queued_at timestamptz, started_at timestamptz, ended_at timestamptz,
    queue_ms double precision, init_ms double precision, duration_ms double precision, billed_ms bigint,
    memory_limit_mib integer, memory_peak_bytes bigint, cpu_us bigint, mib_ms bigint, cost_picos bigint,
    invoker text)
), ins as (
  insert into invocations (invocation_id, attempt, account, function, version, trigger, status, start,
    queued_at, started_at, ended_at, queue_ms, init_ms, duration_ms, billed_ms, memory_limit_mib,
    memory_peak_bytes, cpu_us, mib_ms, cost_picos, invoker)
  select invocation_id, attempt, account, function, version, trigger, status, start,
    queued_at, started_at, ended_at, queue_ms, init_ms, duration_ms, billed_ms, memory_limit_mib,
    memory_peak_bytes, cpu_us, mib_ms, cost_picos, invoker
  from rec
  on conflict (invocation_id, attempt) do nothing
  returning invocation_id, attempt, account, function, status, start, ended_at, mib_ms, cpu_us, cost_picos
), rollup as (
  insert into usage_daily (account, function, day, invocations, errors, rejected, cold_starts, mib_ms, cpu_us, cost_picos)
  select account, function, (ended_at at time zone 'UTC')::date, count(*),
    count(*) filter (where status <> 'ok'), count(*) filter (where status = 'rejected'),
    count(*) filter (where start in ('cold', 'prewarm') and status <> 'rejected'),
    sum(mib_ms), sum(cpu_us), sum(cost_picos)
  from ins group by 1, 2, 3 order by 1, 2, 3
  on conflict (account, function, day) do update set
    invocations = usage_daily.invocations + excluded.invocations,
    errors = usage_daily.errors + excluded.errors,
    rejected = usage_daily.rejected + excluded.rejected,
    cold_starts = usage_daily.cold_starts + excluded.cold_starts,
    mib_ms = usage_daily.mib_ms + excluded.mib_ms,
    cpu_us = usage_daily.cpu_us + excluded.cpu_us,
    cost_picos = usage_daily.cost_picos + excluded.cost_picos
), logs as (
  insert into invocation_logs (invocation_id, attempt, account, function, ended_at, lines, truncated)
  select l.invocation_id, l.attempt, ins.account, ins.function, ins.ended_at, l.lines::jsonb, l.truncated
  from unnest($2::uuid[], $3::integer[], $4::text[], $5::boolean[]) as l(invocation_id, attempt, lines, truncated)
  join ins using (invocation_id, attempt)
  on conflict (invocation_id, attempt) do nothing
)
select invocation_id, attempt from ins`;

/** A record the meter could not price (no price row covers its time). */
export class UnpricedRecord extends Error {
  constructor(readonly entry: MeterEntry, message: string) {
    super(message);
  }
}

/** Prices metering records and writes them, with their rollup and logs, to PostgreSQL. */
export class RecordWriter {
  constructor(private readonly db: Db) {}

  async prices(): Promise<PriceBook> {
    const { rows } = await this.db.query('select * from prices');
    return new PriceBook(rows.map(priceFromRow));
  }

  /**
   * Writes `entries` (distinct record keys) in one transaction and returns the
   * keys of the records it inserted; the others were stored before.
   */
  async write(entries: MeterEntry[], prices: PriceBook): Promise<Set<string>> {
    if (!entries.length) return new Set();
    const rows = entries.map((e) => row(e, prices));
    const logged = entries.filter((e) => e.logs);
    const { rows: inserted } = await this.db.query(INSERT, [
      JSON.stringify(rows),
      logged.map((e) => e.record.invocationId), logged.map((e) => e.record.attempt),
      logged.map((e) => JSON.stringify(e.logs!.lines)), logged.map((e) => e.logs!.truncated),
    ]);
    return new Set(inserted.map((r) => `${r.invocation_id}/${r.attempt}`));
  }
}

function row(e: MeterEntry, prices: PriceBook) {
  const r = e.record;
  let price;
  try {
    price = prices.at(Date.parse(r.endedAt));
  } catch (err) {
    throw new UnpricedRecord(e, (err as Error).message);
  }
  return {
    invocation_id: r.invocationId, attempt: r.attempt, account: r.account, function: r.function,
    version: r.version, trigger: r.trigger, status: r.status, start: r.start,
    queued_at: r.queuedAt, started_at: r.startedAt, ended_at: r.endedAt,
    queue_ms: r.queueMs, init_ms: r.initMs, duration_ms: r.durationMs, billed_ms: r.billedMs,
    memory_limit_mib: r.memoryLimitMiB, memory_peak_bytes: r.memoryPeakBytes, cpu_us: r.cpuUs,
    // bigint travels as a decimal string: JSON numbers lose precision past 2^53
    mib_ms: mibMsOf(r).toString(), cost_picos: costPicos(r, price).toString(),
    invoker: r.invoker,
  };
}
