import { trace } from '@opentelemetry/api';
import { Hono, type Context } from 'hono';
import { BadRequest, Forbidden, FunctionFailed, FunctionTimeout, TooManyRequests, Unauthorized, TsfnError } from '../../core/errors.js';
import { newInvocationId } from '../../core/ids.js';
import { canAccess } from '../../core/principal.js';
import type { InvocationJob, Reply } from '../../core/schemas/invocation.js';
import { NO_TRACE, type TraceScope } from '../../core/telemetry/trace-context.js';
import type { GatewayEnv } from '../env.js';
import type { GatewayDeps } from '../deps.js';
import { toSpec } from '../store/function-store.js';
import { readBody } from '../read-body.js';
import type { ResolvedFunction } from '../function-cache.js';
import { gatewayMetrics } from './metrics.js';

export const SYNC_BODY_LIMIT = 6 * 1024 * 1024;
/** Time a sync invocation may spend queued and starting on top of its timeout. */
const QUEUE_SLACK_MS = 2_000;
/** The gateway answers 504 itself this long after the invoker should have. */
const REPLY_GRACE_MS = 500;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host', 'authorization']);

/** `ANY /fn/:name/*` and `ANY /fn/:name@:version/*`: the synchronous HTTP trigger. */
export function invokeRoutes(deps: GatewayDeps) {
  const app = new Hono<GatewayEnv>();
  const handler = async (c: Context<GatewayEnv>) => {
    const target = c.req.param('target')!;
    const m = /^([a-z][a-z0-9-]{0,62})(?:@([1-9][0-9]{0,8}))?$/.exec(target);
    if (!m) throw new BadRequest(`"${target}" is not a function name (^[a-z][a-z0-9-]{0,62}$, optionally @version)`);
    const scope = c.get('trace') ?? NO_TRACE;
    const resolved = await deps.functions.resolve(m[1]!, m[2] ? Number(m[2]) : undefined, scope.within);
    authorizeInvoke(resolved, c);

    const url = new URL(c.req.url);
    const prefix = `/fn/${target}`;
    const path = url.pathname.slice(prefix.length) || '/';
    const body = await readBody(c.req.raw, SYNC_BODY_LIMIT, 'a synchronous invocation');
    const headers: [string, string][] = [];
    c.req.raw.headers.forEach((v, k) => { if (k !== 'authorization') headers.push([k, v]); });
    const reply = await invokeAndWait(deps, resolved, {
      trigger: 'http', kind: 'http',
      http: { method: c.req.method, path, query: url.search.slice(1), headers },
      bodyB64: body.toString('base64'),
      traceparent: c.req.header('traceparent'),
    }, scope);
    return toResponse(reply);
  };
  app.all('/fn/:target', handler);
  app.all('/fn/:target/*', handler);
  return app;
}

/** Public functions take anyone; a private one only a key of its account (or an admin key). */
export function authorizeInvoke({ fn, version }: ResolvedFunction, c: Context<GatewayEnv>) {
  if (version.manifest.public) return;
  const p = c.get('principal');
  if (!p) throw new Unauthorized(`function ${fn.name} is private: call it with an API key of its account`);
  if (!canAccess(p, fn.account)) throw new Forbidden(`function ${fn.name} is private to another account`);
}

type JobInput = Omit<InvocationJob, 'invocationId' | 'fn' | 'queuedAt' | 'deadline' | 'replyTo'>;

/** Admission, enqueue, wait: shared by the HTTP trigger and the invoke API. `scope`: the request's trace. */
export async function invokeAndWait(deps: GatewayDeps, { fn, version }: ResolvedFunction, input: JobInput, scope: TraceScope): Promise<Reply> {
  const invocationId = newInvocationId();
  const queuedAt = Date.now();
  const deadline = queuedAt + version.manifest.timeout * 1000 + QUEUE_SLACK_MS;
  const spec = toSpec(fn.account, version);
  const span = trace.getSpan(scope.ctx);
  span?.setAttributes({ 'faas.invoked_name': fn.name, 'faas.trigger': 'http', 'faas.invocation_id': invocationId });
  await deps.invocations.requireInvoker();
  try {
    await deps.invocations.admit(fn.name, invocationId, deadline, version.manifest.concurrency + deps.config.TSFN_QUEUE_PER_FUNCTION, scope);
  } catch (err) {
    if (err instanceof TooManyRequests) {
      deps.meter.rejected(spec, invocationId, input.trigger, queuedAt);
      gatewayMetrics(deps)?.rejected(fn.name, input.trigger);
    }
    throw err;
  }
  let reply: Reply;
  try {
    reply = await deps.invocations.invokeSync({ ...input, invocationId, fn: spec, queuedAt, deadline }, deadline + REPLY_GRACE_MS, scope);
  } catch (err) {
    // Not queued, or no answer in time. Once the invocation ends, the invoker frees the slot (lua/finish.lua).
    deps.invocations.release(fn.name, invocationId).catch(() => {});
    throw err;
  }
  span?.setAttributes({ 'faas.coldstart': reply.start !== 'warm', 'tsfn.start': reply.start, 'tsfn.status': reply.status });
  return reply;
}

/** The function's answer, or problem+json for a failed invocation, with tsfn's headers. */
export function toResponse(reply: Reply): Response {
  const timing = `queue;dur=${reply.timing.queueMs.toFixed(2)}, init;dur=${reply.timing.initMs.toFixed(2)}, run;dur=${reply.timing.runMs.toFixed(2)}`;
  const own = { 'x-tsfn-invocation-id': reply.invocationId, 'x-tsfn-cold-start': reply.start, 'server-timing': timing };
  if (reply.status === 'ok' && reply.http) {
    const headers = new Headers();
    for (const [k, v] of reply.http.headers) if (!HOP_BY_HOP.has(k.toLowerCase())) headers.append(k, v);
    for (const [k, v] of Object.entries(own)) headers.set(k, v);
    const status = reply.http.status;
    const body = status === 204 || status === 304 ? null : Buffer.from(reply.http.bodyB64, 'base64');
    return new Response(body, { status, headers });
  }
  const detail = reply.error?.detail ?? `the invocation ended with status ${reply.status}`;
  const err: TsfnError = reply.status === 'timeout'
    ? new FunctionTimeout(detail, { invocationId: reply.invocationId, headers: own })
    : new FunctionFailed(detail, { invocationId: reply.invocationId, headers: own });
  return err.getResponse();
}

