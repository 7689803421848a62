import { Hono } from 'hono';
import type { GatewayEnv } from '../env.js';
import type { GatewayDeps } from '../deps.js';
import { INVOKER_STALE_MS } from '../../core/redis-keys.js';

/** /healthz: the process lives. /readyz: Redis, PostgreSQL and at least one live invoker. */
export function healthRoutes(deps: GatewayDeps) {
  const app = new Hono<GatewayEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = {
      redis: await probe(async () => (await deps.redis.ping()) === 'PONG' || 'unexpected PING answer'),
      postgres: await probe(async () => ((await deps.db.query('select 1')).rowCount === 1) || 'no answer'),
      invoker: await probe(async () =>
        (await deps.redis.zcount(deps.redisKeys.invokers, Date.now() - INVOKER_STALE_MS, '+inf')) > 0
        || `no invoker has reported in the last ${INVOKER_STALE_MS / 1000} s`),
    };
    const ready = Object.values(checks).every((v) => v === 'ok');
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });
  return app;
}

async function probe(check: () => Promise<true | string>): Promise<string> {
  try {
    const r = await Promise.race([
      check(),
      new Promise<string>((resolve) => setTimeout(() => resolve('timed out after 2 s'), 2000).unref()),
    ]);
    return r === true ? 'ok' : r;
  } catch (err) {
    return (err as Error).message;
  }
}
