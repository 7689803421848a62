import { parse } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from '../table.js';

export const usage = 'usage: tsfn accounts create <name> | tsfn accounts ls';

const accounts: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {});
  const [sub, name] = positionals;
  const client = ctx.client(values);
  if (sub === 'create' && name && positionals.length === 2) {
    const body = await client.call('POST', '/v1/accounts', { json: { name } });
    ctx.out(values.json ? JSON.stringify(body) : `created account ${body.name}`);
    return 0;
  }
  if (sub === 'ls' && positionals.length === 1) {
    const body = await client.call('GET', '/v1/accounts');
    ctx.out(values.json ? JSON.stringify(body.accounts) : table(body.accounts.map((a: any) => [a.name, a.createdAt]), ['ACCOUNT', 'CREATED']));
    return 0;
  }
  throw new UsageError(usage);
};
export default accounts;
