import { number, parse } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';

export const usage = 'usage: tsfn rollback <name> <version>';

const rollback: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {});
  if (positionals.length !== 2) throw new UsageError(usage);
  const version = number(positionals[1], 'version');
  const body = await ctx.client(values).call('POST', `/v1/functions/${encodeURIComponent(positionals[0]!)}/rollback`, { json: { version } });
  ctx.out(values.json ? JSON.stringify(body) : `${body.name}: latest is now version ${body.version}`);
  return 0;
};
export default rollback;
