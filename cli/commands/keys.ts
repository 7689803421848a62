import { parse } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from '../table.js';

export const usage = 'usage: tsfn keys create [--account A] [--admin] | tsfn keys ls [--account A] | tsfn keys revoke <id>';

const keys: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, { account: { type: 'string' }, admin: { type: 'boolean' } });
  const [sub, id] = positionals;
  const client = ctx.client(values);
  if (sub === 'create' && positionals.length === 1) {
    const body = await client.call('POST', '/v1/keys', { json: { account: values.account, admin: values.admin } });
    if (values.json) ctx.out(JSON.stringify(body));
    else {
      ctx.err(`created key ${body.id} for account ${body.account}; it is shown only once:`);
      ctx.out(body.key);
    }
    return 0;
  }
  if (sub === 'ls' && positionals.length === 1) {
    const q = values.account ? `?account=${encodeURIComponent(values.account)}` : '';
    const body = await client.call('GET', `/v1/keys${q}`);
    ctx.out(values.json ? JSON.stringify(body.keys) : table(body.keys.map((k: any) =>
      [k.id, k.account, k.admin ? 'admin' : '', k.createdAt, k.revokedAt ?? '']), ['ID', 'ACCOUNT', 'ROLE', 'CREATED', 'REVOKED']));
    return 0;
  }
  if (sub === 'revoke' && id && positionals.length === 2) {
    await client.call('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
    ctx.out(values.json ? JSON.stringify({ id, revoked: true }) : `revoked ${id}`);
    return 0;
  }
  throw new UsageError(usage);
};
export default keys;
