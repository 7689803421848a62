import { Hono } from 'hono';
import { z } from 'zod';
import { Forbidden } from '../../core/errors.js';
import { FunctionName } from '../../core/schemas/manifest.js';
import type { GatewayEnv } from '../env.js';
import type { GatewayDeps } from '../deps.js';
import { requireAdmin } from '../middleware/authenticate.js';

/** Account names follow the function name rules. */
const AccountName = FunctionName;

/** Tenants (admin only) and API keys (admins for anyone, others for their own account). */
export function accountRoutes(deps: GatewayDeps) {
  const app = new Hono<GatewayEnv>();
  const json = async (req: { json(): Promise<unknown> }) => req.json().catch(() => ({}));

  app.post('/accounts', requireAdmin, async (c) => {
    const { name } = z.object({ name: AccountName }).parse(await json(c.req));
    await deps.keys.createAccount(name);
    return c.json({ name }, 201);
  });

  app.get('/accounts', requireAdmin, async (c) => c.json({ accounts: await deps.keys.listAccounts() }));

  app.post('/keys', async (c) => {
    const p = c.get('principal')!;
    const body = z.object({ account: AccountName.optional(), admin: z.boolean().optional() }).parse(await json(c.req));
    const account = body.account ?? p.account;
    if (!p.admin && (account !== p.account || body.admin)) {
      throw new Forbidden('only an admin key can create keys for another account or admin keys');
    }
    const { id, key } = await deps.keys.createKey(account, body.admin ?? false);
    return c.json({ id, account, admin: body.admin ?? false, key }, 201);
  });

  app.get('/keys', async (c) => {
    const p = c.get('principal')!;
    const account = p.admin ? c.req.query('account') : p.account;
    return c.json({ keys: await deps.keys.listKeys(account) });
  });

  app.delete('/keys/:id', async (c) => {
    const p = c.get('principal')!;
    await deps.keys.revokeKey(c.req.param('id'), p.admin ? undefined : p.account);
    return c.json({ id: c.req.param('id'), revoked: true });
  });
  return app;
}
