import { Hono } from 'hono';
import type { GatewayEnv } from './env.js';
import type { GatewayDeps } from './deps.js';
import { authenticate, requireKey } from './middleware/authenticate.js';
import { tracing } from './middleware/tracing.js';
import { notFound, onError } from './on-error.js';
import { accountRoutes } from './routes/accounts.js';
import { functionRoutes } from './routes/functions.js';
import { healthRoutes } from './routes/health.js';
import { invocationRoutes } from './routes/invocations.js';
import { invokeRoutes } from './routes/invoke.js';
import { logRoutes } from './routes/logs.js';
import { metricsRoutes } from './routes/metrics.js';
import { usageRoutes } from './routes/usage.js';

/** The gateway's HTTP API (SPEC §3), as a Hono app over its dependencies. */
export function createApp(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.onError(onError);
  app.notFound(notFound);
  app.use('*', tracing());
  app.route('/', healthRoutes(deps));
  app.route('/', metricsRoutes(deps));
  app.use('*', authenticate(deps.keys));
  app.route('/', invokeRoutes(deps));

  const v1 = new Hono<GatewayEnv>();
  v1.use('*', requireKey);
  v1.route('/', functionRoutes(deps));
  v1.route('/', invocationRoutes(deps));
  v1.route('/', accountRoutes(deps));
  v1.route('/', usageRoutes(deps));
  v1.route('/', logRoutes(deps));
  app.route('/v1', v1);
  return app;
}
