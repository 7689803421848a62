import type { Redis } from 'ioredis';
import { redisKeys } from '../../core/redis-keys.js';
import type { Db } from '../../infra/db.js';
import type { MeteringRecord } from '../../core/schemas/invocation.js';
import { entryFields, type Sample } from './sample-records.js';

/** Appends samples to the metering stream the way invokers do, pipelined. */
export async function appendSamples(redis: Redis, prefix: string, samples: Sample[]): Promise<void> {
  const stream = redisKeys(prefix).meteringStream;
  for (let i = 0; i < samples.length; i += 5000) {
    const p = redis.pipeline();
    for (const s of samples.slice(i, i + 5000)) p.xadd(stream, '*', ...entryFields(s));
    await p.exec();
  }
}

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const storedCount = async (db: Db): Promise<number> =>
  (await db.query('select count(*)::int as n from invocations')).rows[0].n;

export interface Rollup {
  invocations: number;
  errors: number;
  rejected: number;
  coldStarts: number;
  mibMs: bigint;
  cpuUs: bigint;
  costPicos: bigint;
}

const key = (account: string, fn: string, day: string) => `${account}|${fn}|${day}`;

interface PriceRow { from: number; gb: bigint; req: bigint; cpu: bigint }

/**
 * A record's cost as documented (invoker/metering/pricing.ts), written out
 * again here so that the tests check the meter against the rule, not against
 * its own code: each term rounded half up, the row in force at the record's end.
 */
export function documentedCost(r: MeteringRecord, prices: PriceRow[]): bigint {
  if (r.status === 'rejected') return 0n;
  const t = Date.parse(r.endedAt);
  const p = prices.filter((x) => x.from <= t).sort((a, b) => b.from - a.from)[0]!;
  const mibMs = BigInt(r.memoryLimitMiB) * BigInt(r.billedMs);
  return (mibMs * p.gb * 2n + 1_024_000n) / 2_048_000n + p.req + (BigInt(r.cpuUs) * p.cpu * 2n + 1_000_000n) / 2_000_000n;
}

export async function priceRows(db: Db): Promise<PriceRow[]> {
  const { rows } = await db.query('select * from prices');
  return rows.map((r) => ({ from: r.effective_from.getTime(), gb: BigInt(r.gb_second_picos), req: BigInt(r.request_picos), cpu: BigInt(r.cpu_second_picos) }));
}

/** The daily rollup as it must be, computed here from the samples themselves and the price table. */
export async function expectedRollup(db: Db, samples: Sample[]): Promise<Map<string, Rollup>> {
  const prices = await priceRows(db);
  const out = new Map<string, Rollup>();
  const seen = new Set<string>();
  for (const { record: r } of samples) {
    const id = `${r.invocationId}/${r.attempt}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const k = key(r.account, r.function, r.endedAt.slice(0, 10));
    const agg = out.get(k) ?? { invocations: 0, errors: 0, rejected: 0, coldStarts: 0, mibMs: 0n, cpuUs: 0n, costPicos: 0n };
    agg.invocations++;
    if (r.status !== 'ok') agg.errors++;
    if (r.status === 'rejected') agg.rejected++;
    else if (r.start !== 'warm') agg.coldStarts++;
    agg.mibMs += BigInt(r.memoryLimitMiB) * BigInt(r.billedMs);
    agg.cpuUs += BigInt(r.cpuUs);
    agg.costPicos += documentedCost(r, prices);
    out.set(k, agg);
  }
  return out;
}

/** usage_daily as stored. */
export async function storedRollup(db: Db): Promise<Map<string, Rollup>> {
  const { rows } = await db.query(`select account, function, to_char(day, 'YYYY-MM-DD') as day, invocations, errors,
    rejected, cold_starts, mib_ms, cpu_us, cost_picos from usage_daily`);
  return new Map(rows.map((r) => [key(r.account, r.function, r.day), {
    invocations: Number(r.invocations), errors: Number(r.errors), rejected: Number(r.rejected),
    coldStarts: Number(r.cold_starts), mibMs: BigInt(r.mib_ms), cpuUs: BigInt(r.cpu_us), costPicos: BigInt(r.cost_picos),
  }]));
}

/** The rollup as the stored records add up (what retention will later forget). */
export async function rollupOfRecords(db: Db): Promise<Map<string, Rollup>> {
  const { rows } = await db.query(`select account, function, to_char((ended_at at time zone 'UTC')::date, 'YYYY-MM-DD') as day,
    count(*) as invocations, count(*) filter (where status <> 'ok') as errors,
    count(*) filter (where status = 'rejected') as rejected,
    count(*) filter (where start in ('cold', 'prewarm') and status <> 'rejected') as cold_starts,
    sum(mib_ms) as mib_ms, sum(cpu_us) as cpu_us, sum(cost_picos) as cost_picos
    from invocations group by 1, 2, 3`);
  return new Map(rows.map((r) => [key(r.account, r.function, r.day), {
    invocations: Number(r.invocations), errors: Number(r.errors), rejected: Number(r.rejected),
    coldStarts: Number(r.cold_starts), mibMs: BigInt(r.mib_ms), cpuUs: BigInt(r.cpu_us), costPicos: BigInt(r.cost_picos),
  }]));
}
