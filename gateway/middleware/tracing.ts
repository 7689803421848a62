import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { propagation, SpanKind, SpanStatusCode, trace, type Context as TraceContext, type TextMapGetter } from '@opentelemetry/api';
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
const nodeHeaders: TextMapGetter<IncomingHttpHeaders> = {
  get: (h, key) => h[key],
  keys: (h) => Object.keys(h),
};

/**
 * The caller's trace context. Under @hono/node-server the request's headers
 * are read from Node's own object (a property lookup where the fetch
 * Headers' get costs a validation and a search each), and most callers send
 * none: then there is nothing to extract.
 */
function callerContext(c: Parameters<MiddlewareHandler<GatewayEnv>>[0]): TraceContext {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.headers;
  if (!incoming) return propagation.extract(ROOT, c.req.raw.headers, headers);
  if (incoming.traceparent === undefined && incoming.baggage === undefined) return ROOT;
  return propagation.extract(ROOT, incoming, nodeHeaders);
}

/**
 * `METHOD route` span names, each made once: a name built per request is a
 * new string for the encoder to flatten and copy. Small: Node's HTTP parser
 * admits a fixed set of methods, and the routes are the app's own.
 */
const spanNames = new Map<string, Map<string, string>>();
function spanName(method: string, route: string): string {
  let byRoute = spanNames.get(method);
  if (!byRoute) spanNames.set(method, (byRoute = new Map()));
  let name = byRoute.get(route);
  if (name === undefined) byRoute.set(route, (name = `${method} ${route}`));
  return name;
}

/** Probes and scrapes, which would bury the invocations' traces. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The gateway's server span of each request (HTTP semantic conventions),
 * child of the caller's `traceparent`. Its scope is the request's `trace`
 * variable, which routes pass on, so that the enqueue span and the Redis and
 * PostgreSQL client spans hang under it. A pass-through when tracing is off.
 */
export const tracing = (): MiddlewareHandler<GatewayEnv> => async (c, next) => {
  const path = c.req.path;
  if (!tracingEnabled() || UNTRACED.has(path)) return next();
  const parent = callerContext(c);
  const method = c.req.method;
  const span = tracer().startSpan(method, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': method, 'url.path': path },
  }, parent);
  try {
    const scope = traceScope(trace.setSpan(parent, span));
    c.set('trace', scope);
    await scope.within(next);
  } finally {
    const route = routePath(c);
    if (route && route !== '*' && route !== '/*') {
      span.updateName(spanName(method, route));
      span.setAttribute('http.route', route);
    }
    const status = c.res.status;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (c.error && status >= 500) span.recordException(c.error);
    span.end();
  }
};
