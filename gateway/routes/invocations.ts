import { Hono } from 'hono';
import { z } from 'zod';
import { BadRequest, NotFound } from '../../core/errors.js';
import { newInvocationId } from '../../core/ids.js';
import { canAccess } from '../../core/principal.js';
import { FunctionName } from '../../core/schemas/manifest.js';
import { InvocationJob, Reply } from '../../core/schemas/invocation.js';
import { INVOCATION_STATUSES } from '../../core/states.js';
import { NO_TRACE } from '../../core/telemetry/trace-context.js';
import type { GatewayEnv } from '../env.js';
import type { GatewayDeps } from '../deps.js';
import { readBody } from '../read-body.js';
import { InvocationStore } from '../store/invocation-store.js';
import { toSpec } from '../store/function-store.js';
import { authorizeInvoke, invokeAndWait, SYNC_BODY_LIMIT, toResponse } from './invoke.js';

const ASYNC_BODY_LIMIT = 256 * 1024;
const EVENT_HEADERS: [string, string][] = [['content-type', 'application/json']];

/** The invoke API (JSON events, sync or async) and invocation lookups. */
export function invocationRoutes(deps: GatewayDeps) {
  const app = new Hono<GatewayEnv>();
  const records = new InvocationStore(deps.db);

  app.post('/functions/:name/invocations', async (c) => {
    const name = FunctionName.parse(c.req.param('name'));
    const mode = c.req.query('mode') ?? 'sync';
    if (mode !== 'sync' && mode !== 'async') throw new BadRequest(`mode must be sync or async, not "${mode}"`);
    const version = c.req.query('version');
    if (version !== undefined && !/^[1-9][0-9]{0,8}$/.test(version)) throw new BadRequest(`version must be a positive integer, not "${version}"`);
    const scope = c.get('trace') ?? NO_TRACE;
    const resolved = await deps.functions.resolve(name, version === undefined ? undefined : Number(version), scope.within);
    authorizeInvoke(resolved, c);
    const body = await readBody(c.req.raw, mode === 'sync' ? SYNC_BODY_LIMIT : ASYNC_BODY_LIMIT, `an ${mode} invocation`);
    const text = body.length ? body.toString('utf8') : 'null';
    try {
      JSON.parse(text);
    } catch {
      throw new BadRequest('the event must be valid JSON');
    }
    const input = {
      trigger: mode === 'sync' ? 'http' as const : 'async' as const,
      kind: 'event' as const,
      http: { method: 'POST', path: '/', query: '', headers: EVENT_HEADERS },
      bodyB64: Buffer.from(text).toString('base64'),
      traceparent: c.req.header('traceparent'),
    };
    if (mode === 'sync') return toResponse(await invokeAndWait(deps, resolved, input, scope));
    await deps.invocations.requireInvoker();
    const invocationId = newInvocationId();
    await deps.invocations.invokeAsync({
      ...input, invocationId, fn: toSpec(resolved.fn.account, resolved.version), queuedAt: Date.now(),
    }, resolved.version.manifest.retries, scope);
    return c.json({ invocationId, status: 'queued' }, 202, { 'x-tsfn-invocation-id': invocationId });
  });

  app.get('/invocations/:id', async (c) => {
    const id = c.req.param('id');
    if (!z.string().uuid().safeParse(id).success) throw new BadRequest(`"${id}" is not an invocation id`);
    const [job, recs] = await Promise.all([deps.invocations.queue.getJob(id), records.records(id)]);
    const data = job ? InvocationJob.safeParse(job.data) : undefined;
    const account = data?.success ? data.data.fn.account : recs[0]?.account;
    if (!account || !canAccess(c.get('principal'), account)) throw new NotFound(`no invocation ${id}`);
    const out: Record<string, unknown> = {
      invocationId: id,
      function: data?.success ? data.data.fn.name : recs[0]?.function,
      records: recs,
    };
    if (job) {
      const state = await job.getState();
      const reply = Reply.safeParse(job.returnvalue);
      out.attempts = job.attemptsMade;
      out.status = state === 'completed' ? (reply.success ? reply.data.status : 'ok')
        : state === 'failed' ? 'dead' : state === 'active' ? 'running' : 'queued';
      if (reply.success && reply.data.http) {
        out.result = { status: reply.data.http.status, headers: reply.data.http.headers, bodyBase64: reply.data.http.bodyB64 };
      }
      if (state === 'failed') out.error = job.failedReason;
    } else {
      out.status = recs.at(-1)?.status ?? 'unknown';
      out.attempts = recs.length;
    }
    return c.json(out);
  });

  app.get('/invocations', async (c) => {
    const p = c.get('principal')!;
    const q = z.object({
      function: FunctionName.optional(),
      status: z.enum([...INVOCATION_STATUSES, 'dead']).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(50),
      account: z.string().optional(),
    }).parse(c.req.query());
    const account = p.admin ? q.account : p.account;
    if (q.status === 'dead') {
      const failed = await deps.invocations.queue.getFailed(0, 999);
      const dead = failed.flatMap((job) => {
        const d = InvocationJob.safeParse(job.data);
        if (!d.success || (account && d.data.fn.account !== account) || (q.function && d.data.fn.name !== q.function)) return [];
        return [{ invocationId: job.id, function: d.data.fn.name, attempts: job.attemptsMade, error: job.failedReason, failedAt: job.finishedOn }];
      });
      return c.json({ invocations: dead.slice(0, q.limit) });
    }
    return c.json({ invocations: await records.recent({ account, function: q.function, status: q.status, limit: q.limit }) });
  });
  return app;
}
