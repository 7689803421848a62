import { Hono } from 'hono';
import { BadRequest, Forbidden } from '../../core/errors.js';
import type { Principal } from '../../core/principal.js';
import type { GatewayEnv } from '../env.js';
import type { GatewayDeps } from '../deps.js';
import { monthRange, USAGE_DIMENSIONS, UsageStore, type UsageDimension } from '../store/usage-store.js';

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * GET /v1/usage: usage and cost from the daily rollup (SPEC §3).
 * - `from`, `to`: days (YYYY-MM-DD, UTC, `to` included); default the current month.
 * - `groupBy`: comma list of function, day, account; default `function`.
 * - `month=YYYY-MM` instead: the monthly statement of each account.
 * - `account`: admins pick one account (default all); others see only their own.
 */
export function usageRoutes(deps: GatewayDeps) {
  const app = new Hono<GatewayEnv>();
  const usage = new UsageStore(deps.db);

  app.get('/usage', async (c) => {
    const q = c.req.query();
    const account = scope(c.get('principal')!, q.account);
    if (q.month !== undefined) {
      const others = ['from', 'to', 'groupBy'].filter((k) => q[k] !== undefined);
      if (others.length) throw new BadRequest(`month cannot be combined with ${others.join(', ')}`);
      if (!MONTH_RE.test(q.month)) throw new BadRequest(`month must be YYYY-MM, got "${q.month}"`);
      return c.json(await usage.statements(q.month, account));
    }
    const [monthStart, monthEnd] = monthRange(new Date().toISOString().slice(0, 7));
    const from = q.from === undefined ? monthStart : day(q.from, 'from');
    const to = q.to === undefined ? monthEnd : day(q.to, 'to');
    if (from > to) throw new BadRequest(`from (${from}) is after to (${to})`);
    return c.json(await usage.report({ from, to, groupBy: groupBy(q.groupBy), account }));
  });
  return app;
}

/** The account a caller may report on: admins any (or all), others their own only. */
function scope(p: Principal, asked: string | undefined): string | undefined {
  if (p.admin) return asked || undefined;
  if (asked !== undefined && asked !== p.account) throw new Forbidden(`this key sees only the usage of account ${p.account}`);
  return p.account;
}

function day(s: string, what: string): string {
  const m = DAY_RE.exec(s);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!d || d.toISOString().slice(0, 10) !== s) throw new BadRequest(`${what} must be a date YYYY-MM-DD, got "${s}"`);
  return s;
}

function groupBy(s: string | undefined): UsageDimension[] {
  if (s === undefined) return ['function'];
  const dims = s.split(',').map((d) => d.trim());
  for (const d of dims) {
    if (!(USAGE_DIMENSIONS as readonly string[]).includes(d)) {
      throw new BadRequest(`groupBy takes a comma list of ${USAGE_DIMENSIONS.join(', ')}; "${d}" is not one`);
    }
  }
  if (new Set(dims).size !== dims.length) throw new BadRequest(`groupBy names a dimension twice: "${s}"`);
  return dims as UsageDimension[];
}
