import type { Db } from '../../infra/db.js';
import { formatMicros, picosToMicros } from '../../invoker/metering/pricing.js';

/** What usage can be grouped by. */
export const USAGE_DIMENSIONS = ['account', 'function', 'day'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

/**
 * Usage figures of one group. Costs: `costPicos` is the exact sum (pico-dollars,
 * a decimal string); `costMicros` is that rounded half up to a micro-dollar;
 * `cost` is `costMicros` in dollars, exactly ("0.001234").
 */
export interface UsageFigures {
  invocations: number;
  /** Invocations that did not end `ok` (refusals included). */
  errors: number;
  /** Refused with 429: counted, never billed. */
  rejected: number;
  coldStarts: number;
  gbSeconds: number;
  cpuSeconds: number;
  costPicos: string;
  costMicros: number;
  cost: string;
}

export type UsageRow = Partial<Record<UsageDimension, string>> & UsageFigures;

export interface UsageReport {
  from: string;
  to: string;
  groupBy: UsageDimension[];
  account: string | null;
  rows: UsageRow[];
  /** Counts summed; costMicros is the sum of the rows' rounded costs, so the rows add up to it exactly. */
  totals: UsageFigures;
}

export interface StatementLine extends UsageFigures {
  function: string;
}

export interface Statement {
  account: string;
  lines: StatementLine[];
  /** costMicros is the sum of the lines' costMicros (each rounded from its exact sum); costPicos is exact. */
  totals: UsageFigures;
}

export interface MonthlyStatements {
  month: string;
  from: string;
  to: string;
  statements: Statement[];
}

export interface UsageQuery {
  from: string;
  to: string;
  groupBy: UsageDimension[];
  /** Only this account; undefined means every account (admins). */
  account: string | undefined;
}

interface Sums {
  invocations: bigint;
  errors: bigint;
  rejected: bigint;
  coldStarts: bigint;
  mibMs: bigint;
  cpuUs: bigint;
  costPicos: bigint;
}

const SUMS = `sum(invocations)::text as invocations, sum(errors)::text as errors, sum(rejected)::text as rejected,
  sum(cold_starts)::text as cold_starts, sum(mib_ms)::text as mib_ms, sum(cpu_us)::text as cpu_us,
  sum(cost_picos)::text as cost_picos`;
const COLUMN: Record<UsageDimension, string> = { account: 'account', function: 'function', day: `to_char(day, 'YYYY-MM-DD')` };

/** Usage reports and monthly statements, from the daily rollup (which outlives the raw records). */
export class UsageStore {
  constructor(private readonly db: Db) {}

  async report(q: UsageQuery): Promise<UsageReport> {
    const cols = q.groupBy.map((d) => `${COLUMN[d]} as "${d}"`);
    const { rows } = await this.db.query(
      `select ${[...cols, SUMS].join(', ')} from usage_daily
       where day between $1 and $2 and ($3::text is null or account = $3)
       ${cols.length ? `group by ${q.groupBy.map((_, i) => i + 1).join(', ')} order by ${q.groupBy.map((_, i) => i + 1).join(', ')}` : ''}`,
      [q.from, q.to, q.account ?? null]);
    const groups = rows.filter((r) => r.invocations !== null).map((r) => ({ dims: r, sums: sumsOf(r) }));
    return {
      from: q.from, to: q.to, groupBy: q.groupBy, account: q.account ?? null,
      rows: groups.map(({ dims, sums }) => ({ ...pick(dims, q.groupBy), ...figures(sums) })),
      totals: totalOf(groups.map((g) => g.sums)),
    };
  }

  /** One statement per account with usage in the month (or the one asked for, even if empty). */
  async statements(month: string, account: string | undefined): Promise<MonthlyStatements> {
    const [from, to] = monthRange(month);
    const { rows } = await this.db.query(
      `select account, function, ${SUMS} from usage_daily
       where day between $1 and $2 and ($3::text is null or account = $3)
       group by 1, 2 order by 1, 2`, [from, to, account ?? null]);
    const byAccount = new Map<string, { fn: string; sums: Sums }[]>();
    if (account) byAccount.set(account, []);
    for (const r of rows) {
      const list = byAccount.get(r.account) ?? [];
      list.push({ fn: r.function, sums: sumsOf(r) });
      byAccount.set(r.account, list);
    }
    return {
      month, from, to,
      statements: [...byAccount].map(([acct, lines]) => ({
        account: acct,
        lines: lines.map((l) => ({ function: l.fn, ...figures(l.sums) })),
        totals: totalOf(lines.map((l) => l.sums)),
      })),
    };
  }
}

/** First and last day of a YYYY-MM month. */
export function monthRange(month: string): [string, string] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return [`${month}-01`, `${month}-${String(last).padStart(2, '0')}`];
}

function sumsOf(r: Record<string, string | null>): Sums {
  const b = (k: string) => BigInt(r[k] ?? 0);
  return {
    invocations: b('invocations'), errors: b('errors'), rejected: b('rejected'), coldStarts: b('cold_starts'),
    mibMs: b('mib_ms'), cpuUs: b('cpu_us'), costPicos: b('cost_picos'),
  };
}

function figures(s: Sums, costMicros = picosToMicros(s.costPicos)): UsageFigures {
  return {
    invocations: Number(s.invocations), errors: Number(s.errors), rejected: Number(s.rejected),
    coldStarts: Number(s.coldStarts), gbSeconds: Number(s.mibMs) / 1_024_000, cpuSeconds: Number(s.cpuUs) / 1_000_000,
    costPicos: s.costPicos.toString(), costMicros: Number(costMicros), cost: formatMicros(costMicros),
  };
}

/** Totals whose cost is the sum of the groups' rounded costs, never a rounding of its own. */
function totalOf(groups: Sums[]): UsageFigures {
  const zero: Sums = { invocations: 0n, errors: 0n, rejected: 0n, coldStarts: 0n, mibMs: 0n, cpuUs: 0n, costPicos: 0n };
  let micros = 0n;
  const sum = groups.reduce((acc, g) => {
    micros += picosToMicros(g.costPicos);
    return {
      invocations: acc.invocations + g.invocations, errors: acc.errors + g.errors, rejected: acc.rejected + g.rejected,
      coldStarts: acc.coldStarts + g.coldStarts, mibMs: acc.mibMs + g.mibMs, cpuUs: acc.cpuUs + g.cpuUs,
      costPicos: acc.costPicos + g.costPicos,
    };
  }, zero);
  return figures(sum, micros);
}

function pick(r: Record<string, string | null>, dims: UsageDimension[]): Partial<Record<UsageDimension, string>> {
  return Object.fromEntries(dims.map((d) => [d, r[d]!]));
}
