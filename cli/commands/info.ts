import { parse } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';

export const usage = 'usage: tsfn info <name>';

const info: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {});
  if (positionals.length !== 1) throw new UsageError(usage);
  const fn = await ctx.client(values).call('GET', `/v1/functions/${encodeURIComponent(positionals[0]!)}`);
  if (values.json) {
    ctx.out(JSON.stringify(fn));
    return 0;
  }
  const m = fn.manifest;
  ctx.out([
    `name:        ${fn.name}`, `account:     ${fn.account}`, `version:     ${fn.version}`, `digest:      ${fn.digest}`,
    `url:         ${fn.url}`, `memory:      ${m.memory} MiB`, `cpu:         ${m.cpu}`, `timeout:     ${m.timeout} s`,
    `concurrency: ${m.concurrency}`, `minWarm:     ${m.minWarm}`, `access:      ${m.public ? 'public' : 'private'}`,
    `retries:     ${m.retries}`, ...(m.schedule ? [`schedule:    ${m.schedule}`] : []),
    `env:         ${Object.keys(m.env).join(', ') || '-'}`, `deployed:    ${fn.deployedAt}`,
  ].join('\n'));
  return 0;
};
export default info;
