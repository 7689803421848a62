import { parse } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from '../table.js';
import type { MonthlyStatements, UsageFigures, UsageReport } from '../../gateway/store/usage-store.js';

export const usage = 'usage: tsfn usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by function,day] [--account A] | tsfn usage --month YYYY-MM [--account A]';
const FIGURES = ['INVOCATIONS', 'ERRORS', 'REJECTED', 'COLD', 'GB-S', 'CPU-S', 'COST'];

/** Usage and cost (GET /v1/usage): a table by function and/or day, or a monthly statement. */
const usageCommand: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {
    from: { type: 'string' }, to: { type: 'string' }, by: { type: 'string' },
    account: { type: 'string' }, month: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(usage);
  for (const k of ['from', 'to'] as const) {
    if (values[k] !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values[k])) throw new UsageError(`--${k} must be a date YYYY-MM-DD`);
  }
  if (values.month !== undefined && !/^\d{4}-\d{2}$/.test(values.month)) throw new UsageError('--month must be YYYY-MM');
  if (values.month !== undefined && (values.from || values.to || values.by)) throw new UsageError('--month cannot be combined with --from, --to or --by');
  const q = new URLSearchParams();
  if (values.month) q.set('month', values.month);
  if (values.from) q.set('from', values.from);
  if (values.to) q.set('to', values.to);
  if (values.by) q.set('groupBy', values.by);
  if (values.account) q.set('account', values.account);
  const body = await ctx.client(values).call('GET', `/v1/usage?${q}`);
  if (values.json) ctx.out(JSON.stringify(body));
  else if (values.month) printStatements(body as MonthlyStatements, ctx.out);
  else printReport(body as UsageReport, ctx.out);
  return 0;
};

function cells(f: UsageFigures): (string | number)[] {
  return [f.invocations, f.errors, f.rejected, f.coldStarts, round(f.gbSeconds), round(f.cpuSeconds), `$${f.cost}`];
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function printReport(r: UsageReport, out: (s: string) => void) {
  const dims = r.groupBy.map((d) => d.toUpperCase());
  const rows = r.rows.map((row) => [...r.groupBy.map((d) => row[d] ?? ''), ...cells(row)]);
  const total = ['total', ...dims.slice(1).map(() => ''), ...cells(r.totals)];
  out(`usage ${r.from} to ${r.to}${r.account ? ` for account ${r.account}` : ''}`);
  out(table([...rows, total], [...dims, ...FIGURES]));
}

function printStatements(s: MonthlyStatements, out: (s: string) => void) {
  if (!s.statements.length) out(`no usage in ${s.month}`);
  for (const st of s.statements) {
    out(`statement ${s.month} (${s.from} to ${s.to}) for account ${st.account}`);
    const rows = st.lines.map((l) => [l.function, ...cells(l)]);
    out(table([...rows, ['total', ...cells(st.totals)]], ['FUNCTION', ...FIGURES]));
    out('');
  }
}

export default usageCommand;
