import { parse } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from '../table.js';

export const usage = 'usage: tsfn versions <name>';

const versions: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {});
  if (positionals.length !== 1) throw new UsageError(usage);
  const body = await ctx.client(values).call('GET', `/v1/functions/${encodeURIComponent(positionals[0]!)}/versions`);
  if (values.json) {
    ctx.out(JSON.stringify(body.versions));
    return 0;
  }
  ctx.out(table(body.versions.map((v: any) => [v.version, v.latest ? '*' : '', v.digest.slice(0, 19), v.manifest.memory, v.deployedAt]),
    ['VERSION', 'LATEST', 'DIGEST', 'MEMORY', 'DEPLOYED']));
  return 0;
};
export default versions;
