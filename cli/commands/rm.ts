import { parse } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';

export const usage = 'usage: tsfn rm <name>';

const rm: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {});
  if (positionals.length !== 1) throw new UsageError(usage);
  const body = await ctx.client(values).call('DELETE', `/v1/functions/${encodeURIComponent(positionals[0]!)}`);
  ctx.out(values.json ? JSON.stringify(body) : `deleted ${body.name}`);
  return 0;
};
export default rm;
