import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../core/redis-keys.js';
import usageCommand from '../cli/commands/usage.js';
import { ApiClient } from '../cli/client.js';
import type { CliContext } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import type { MonthlyStatements, UsageReport } from '../gateway/store/usage-store.js';
import { MeterWorker } from '../invoker/metering/meter-worker.js';
import { testContext, type TestContext } from './support/context.js';
import { ADMIN_KEY, gatewayApp } from './support-metering/gateway-app.js';
import { appendSamples, documentedCost, priceRows, until } from './support-metering/meter-harness.js';
import { sampleRecords, type Sample } from './support-metering/sample-records.js';

let ctx: TestContext;
let gw: ReturnType<typeof gatewayApp>;
let acme: string;
let samples: Sample[];

const NOV = Date.parse('2026-11-01T00:00:00Z');
const PRICE_CHANGE = new Date('2026-11-15T12:00:00Z');

beforeAll(async () => {
  ctx = await testContext();
  gw = gatewayApp(ctx);
  acme = await gw.account('acme');
  await gw.account('globex');
  // Prices change in the middle of the month: CPU becomes billable, memory dearer.
  await ctx.db.query('insert into prices values ($1, 17000000, 210000, 5000000)', [PRICE_CHANGE]);
  // November, with the last days of October and the first of December around it.
  samples = sampleRecords(4000, {
    accounts: ['acme', 'globex'], functions: ['hello', 'api', 'resize'],
    from: NOV - 2 * 86_400_000, stepMs: 34 * 86_400_000 / 4000, seed: 42,
  });
  await appendSamples(ctx.redis, ctx.prefix, samples);
  const keys = redisKeys(ctx.prefix);
  const worker = new MeterWorker({ redis: ctx.redis, db: ctx.db, stream: keys.meteringStream, logsChannel: keys.logs, blockMs: 200 });
  await worker.start();
  try {
    await until('the stream to drain', async () => {
      const lag = await worker.lag();
      return lag.length === 0 && lag.pending === 0;
    });
  } finally {
    await worker.stop();
  }
});
afterAll(async () => {
  await gw?.close();
  await ctx?.close();
});

const get = async <T>(path: string, key?: string) => {
  const res = await gw.request(path, key);
  expect(res.status).toBe(200);
  return res.json() as Promise<T>;
};

const inNovember = (s: Sample) => s.record.endedAt.startsWith('2026-11');
const halfUp = (picos: bigint) => (2n * picos + 1_000_000n) / 2_000_000n;

describe('usage report', () => {
  it('sums exactly what the records hold, for the caller\'s own account only', async () => {
    const r = await get<UsageReport>('/v1/usage?from=2026-11-01&to=2026-11-30&groupBy=function,day', acme);
    expect(r).toMatchObject({ from: '2026-11-01', to: '2026-11-30', groupBy: ['function', 'day'], account: 'acme' });
    const mine = samples.filter((s) => s.record.account === 'acme' && inNovember(s));
    const prices = await priceRows(ctx.db);
    for (const fn of ['hello', 'api', 'resize']) {
      for (const day of ['2026-11-01', '2026-11-15', '2026-11-30']) {
        const these = mine.filter((s) => s.record.function === fn && s.record.endedAt.startsWith(day));
        const row = r.rows.find((x) => x.function === fn && x.day === day)!;
        expect(row.invocations).toBe(these.length);
        expect(row.errors).toBe(these.filter((s) => s.record.status !== 'ok').length);
        expect(row.rejected).toBe(these.filter((s) => s.record.status === 'rejected').length);
        expect(row.coldStarts).toBe(these.filter((s) => s.record.start !== 'warm' && s.record.status !== 'rejected').length);
        const picos = these.reduce((n, s) => n + documentedCost(s.record, prices), 0n);
        expect(row.costPicos).toBe(picos.toString());
        expect(row.costMicros).toBe(Number(halfUp(picos)));
        expect(row.gbSeconds).toBeCloseTo(these.reduce((n, s) => n + s.record.memoryLimitMiB * s.record.billedMs, 0) / 1_024_000, 9);
        expect(row.cpuSeconds).toBeCloseTo(these.reduce((n, s) => n + s.record.cpuUs, 0) / 1e6, 9);
      }
    }
    expect(r.rows.every((x) => x.day! >= '2026-11-01' && x.day! <= '2026-11-30')).toBe(true);
    expect(r.totals.invocations).toBe(mine.length);
    expect(r.totals.costMicros).toBe(r.rows.reduce((n, x) => n + x.costMicros, 0));
    expect(r.totals.cost).toBe(`${Math.floor(r.totals.costMicros / 1e6)}.${String(r.totals.costMicros % 1e6).padStart(6, '0')}`);
  });

  it('lets an admin see every account, or one', async () => {
    const all = await get<UsageReport>('/v1/usage?from=2026-10-01&to=2026-12-31&groupBy=account');
    expect(all.rows.map((x) => [x.account, x.invocations])).toEqual([
      ['acme', samples.filter((s) => s.record.account === 'acme').length],
      ['globex', samples.filter((s) => s.record.account === 'globex').length],
    ]);
    const one = await get<UsageReport>('/v1/usage?from=2026-10-01&to=2026-12-31&account=globex');
    expect(one.account).toBe('globex');
    expect(one.totals.invocations).toBe(all.rows[1]!.invocations);
  });

  it('defaults to the current month, by function', async () => {
    const r = await get<UsageReport>('/v1/usage', acme);
    const month = new Date().toISOString().slice(0, 7);
    expect(r.from).toBe(`${month}-01`);
    expect(r.to.slice(0, 7)).toBe(month);
    expect(r.groupBy).toEqual(['function']);
  });

  it('refuses another account\'s usage to a non-admin key', async () => {
    const res = await gw.request('/v1/usage?account=globex', acme);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it.each([
    ['from=2026-13-01'], ['from=2026-02-30'], ['to=yesterday'], ['from=2026-11-02&to=2026-11-01'],
    ['groupBy=region'], ['groupBy=function,function'], ['groupBy='], ['month=2026-1'], ['month=2026-13'],
    ['month=2026-11&from=2026-11-01'],
  ])('answers 400 problem+json to %s', async (q) => {
    const res = await gw.request(`/v1/usage?${q}`, acme);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await res.json() as { title: string; detail: string };
    expect(body.detail.length).toBeGreaterThan(0);
  });

  it('needs a key', async () => {
    expect((await gw.request('/v1/usage', null)).status).toBe(401);
  });
});

describe('monthly statement', () => {
  it('reconciles with the costs of the records to the micro-dollar, lines adding up to the total', async () => {
    const s = await get<MonthlyStatements>('/v1/usage?month=2026-11');
    expect(s).toMatchObject({ month: '2026-11', from: '2026-11-01', to: '2026-11-30' });
    expect(s.statements.map((x) => x.account)).toEqual(['acme', 'globex']);
    const prices = await priceRows(ctx.db);
    for (const st of s.statements) {
      const mine = samples.filter((x) => x.record.account === st.account && inNovember(x));
      let total = 0n;
      for (const line of st.lines) {
        const picos = mine.filter((x) => x.record.function === line.function).reduce((n, x) => n + documentedCost(x.record, prices), 0n);
        expect(line.costPicos).toBe(picos.toString());
        expect(line.costMicros).toBe(Number(halfUp(picos)));
        total += halfUp(picos);
      }
      expect(st.totals.costMicros).toBe(Number(total));
      expect(st.totals.costMicros).toBe(st.lines.reduce((n, l) => n + l.costMicros, 0));
      expect(st.totals.invocations).toBe(mine.length);
      // And from the stored records themselves, priced by the meter.
      const { rows } = await ctx.db.query(
        `select function, sum(cost_picos)::text as picos from invocations
         where account = $1 and ended_at >= '2026-11-01' and ended_at < '2026-12-01' group by 1`, [st.account]);
      expect(rows.reduce((n, r) => n + halfUp(BigInt(r.picos)), 0n)).toBe(total);
    }
  });

  it('shows an account only its own statement, even an empty one', async () => {
    const s = await get<MonthlyStatements>('/v1/usage?month=2026-11', acme);
    expect(s.statements.map((x) => x.account)).toEqual(['acme']);
    const empty = await get<MonthlyStatements>('/v1/usage?month=2025-01', acme);
    expect(empty.statements).toEqual([{ account: 'acme', lines: [], totals: expect.objectContaining({ invocations: 0, costMicros: 0, cost: '0.000000' }) }]);
  });
});

describe('tsfn usage', () => {
  const run = async (argv: string[]) => {
    const server = await gw.listen();
    const out: string[] = [];
    const cli: CliContext = {
      client: (v) => new ApiClient({ url: server.url, apiKey: v['api-key'] ?? ADMIN_KEY }),
      out: (l) => out.push(l), err: (l) => out.push(l),
    };
    try {
      return { code: await usageCommand(argv, cli), out: out.join('\n') };
    } finally {
      await server.close();
    }
  };

  it('prints a table with totals, and JSON with --json', async () => {
    const table = await run(['--from', '2026-11-01', '--to', '2026-11-30', '--by', 'function', '--api-key', acme]);
    expect(table.code).toBe(0);
    const report = await get<UsageReport>('/v1/usage?from=2026-11-01&to=2026-11-30', acme);
    expect(table.out).toMatch(/FUNCTION\s+INVOCATIONS\s+ERRORS\s+REJECTED\s+COLD\s+GB-S\s+CPU-S\s+COST/);
    expect(table.out).toContain(`$${report.totals.cost}`);
    expect(table.out.split('\n').at(-1)).toMatch(new RegExp(`^total\\s+${report.totals.invocations}\\s`));
    const json = await run(['--from', '2026-11-01', '--to', '2026-11-30', '--json', '--api-key', acme]);
    expect(JSON.parse(json.out)).toEqual(report);
  });

  it('prints a monthly statement', async () => {
    const r = await run(['--month', '2026-11', '--account', 'globex']);
    expect(r.out).toMatch(/^statement 2026-11 \(2026-11-01 to 2026-11-30\) for account globex/);
    expect(r.out).toMatch(/\ntotal\s+\d+/);
  });

  it('refuses bad flags as usage errors', async () => {
    await expect(run(['--month', 'November'])).rejects.toThrow(UsageError);
    await expect(run(['--from', '1/11/2026'])).rejects.toThrow(UsageError);
    await expect(run(['--bogus'])).rejects.toThrow(UsageError);
  });
});
