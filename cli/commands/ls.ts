import { parse } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from '../table.js';

export const usage = 'usage: tsfn ls [--account A]';

const ls: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, { account: { type: 'string' } });
  if (positionals.length) throw new UsageError(usage);
  const q = values.account ? `?account=${encodeURIComponent(values.account)}` : '';
  const { functions } = await ctx.client(values).call('GET', `/v1/functions${q}`);
  if (values.json) {
    ctx.out(JSON.stringify(functions));
    return 0;
  }
  ctx.out(table(functions.map((f: any) => [f.name, f.version, f.manifest.memory, f.manifest.public ? 'public' : 'private',
    f.manifest.schedule ?? '', f.url]), ['NAME', 'VERSION', 'MEMORY', 'ACCESS', 'SCHEDULE', 'URL']));
  return 0;
};
export default ls;
