import type { MeteringRecord } from '../../core/schemas/invocation.js';

/**
 * Money is integer pico-dollars (1e-12 $) held in BigInt from the price table
 * to the report; no float ever carries a cost. A record's cost is
 *
 *   round(mib_ms × gb_second_picos / 1 024 000)     memory: MiB·ms → GB·s (1 GB = 1024 MiB)
 *   + request_picos
 *   + round(cpu_us × cpu_second_picos / 1 000 000)  CPU: µs → s
 *
 * where round is half up (the two products are never negative), applied to
 * each term separately so that a term's cost does not depend on the others.
 * A refused (429) invocation costs nothing, not even the request.
 */
export interface Price {
  /** Epoch ms from which this row prices invocations (by their end time). */
  effectiveFrom: number;
  gbSecondPicos: bigint;
  requestPicos: bigint;
  cpuSecondPicos: bigint;
}

export const PICOS_PER_MICRO = 1_000_000n;
const MIB_MS_PER_GB_SECOND = 1_024_000n;
const US_PER_SECOND = 1_000_000n;

/** n / d rounded half up, for n ≥ 0 and d > 0. */
export function divRoundHalfUp(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d);
}

/** Memory-time of a record: configured MiB × billed ms (exact; GB-s = mib_ms / 1 024 000). */
export const mibMsOf = (r: Pick<MeteringRecord, 'memoryLimitMiB' | 'billedMs'>): bigint =>
  BigInt(r.memoryLimitMiB) * BigInt(r.billedMs);

export function costPicos(r: Pick<MeteringRecord, 'status' | 'memoryLimitMiB' | 'billedMs' | 'cpuUs'>, p: Price): bigint {
  if (r.status === 'rejected') return 0n;
  return divRoundHalfUp(mibMsOf(r) * p.gbSecondPicos, MIB_MS_PER_GB_SECOND)
    + p.requestPicos
    + divRoundHalfUp(BigInt(r.cpuUs) * p.cpuSecondPicos, US_PER_SECOND);
}

/** Micro-dollars from pico-dollars, rounded half up: how every shown cost is rounded. */
export const picosToMicros = (picos: bigint): bigint => divRoundHalfUp(picos, PICOS_PER_MICRO);

/** An exact dollar amount from micro-dollars: 1234567n → "1.234567". */
export function formatMicros(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  return `${sign}${abs / PICOS_PER_MICRO}.${(abs % PICOS_PER_MICRO).toString().padStart(6, '0')}`;
}

/** The price table, ordered; `at(t)` is the row in force at epoch ms `t`. */
export class PriceBook {
  private readonly rows: Price[];

  constructor(rows: Price[]) {
    this.rows = [...rows].sort((a, b) => a.effectiveFrom - b.effectiveFrom);
  }

  at(t: number): Price {
    let lo = 0;
    let hi = this.rows.length - 1;
    let found: Price | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid]!.effectiveFrom <= t) {
        found = this.rows[mid];
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (!found) throw new Error(`no price is in force at ${new Date(t).toISOString()}; the prices table needs a row from before then`);
    return found;
  }
}

/** Rows of the `prices` table (bigint columns arrive as strings from pg). */
export function priceFromRow(r: Record<string, any>): Price {
  return {
    effectiveFrom: (r.effective_from as Date).getTime(),
    gbSecondPicos: BigInt(r.gb_second_picos),
    requestPicos: BigInt(r.request_picos),
    cpuSecondPicos: BigInt(r.cpu_second_picos),
  };
}
