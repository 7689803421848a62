import { propagation, SpanKind, SpanStatusCode, trace, type TextMapGetter } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { ROOT } from '../../core/telemetry/linked-context.js';
import { tracingEnabled } from '../../core/telemetry/tracing.js';
import { tracer, traceScope } from '../../core/telemetry/trace-context.js';
import type { GatewayEnv } from '../env.js';

const headers: TextMapGetter<Headers> = {
  get: (h, key) => h.get(key) ?? undefined,
  keys: (h) => [...h.keys()],
};

/** Probes and scrapes, which would bury the invocations' traces. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The gateway's server span of each request (HTTP semantic conventions),
 * child of the caller's `traceparent`. Its scope is the request's `trace`
 * variable, which routes pass on, so that the enqueue span and the Redis and
 * PostgreSQL client spans hang under it. A pass-through when tracing is off.
 */
export const tracing = (): MiddlewareHandler<GatewayEnv> => async (c, next) => {
  if (!tracingEnabled() || UNTRACED.has(c.req.path)) return next();
  const parent = propagation.extract(ROOT, c.req.raw.headers, headers);
  const method = c.req.method;
  const span = tracer().startSpan(method, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': method, 'url.path': c.req.path },
  }, parent);
  try {
    const scope = traceScope(trace.setSpan(parent, span));
    c.set('trace', scope);
    await scope.within(next);
  } finally {
    const route = routePath(c);
    if (route && route !== '*' && route !== '/*') {
      span.updateName(`${method} ${route}`);
      span.setAttribute('http.route', route);
    }
    const status = c.res.status;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (c.error && status >= 500) span.recordException(c.error);
    span.end();
  }
};
