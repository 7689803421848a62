import { Hono, type Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { BadRequest, NotFound } from '../../core/errors.js';
import { canAccess } from '../../core/principal.js';
import { FunctionName } from '../../core/schemas/manifest.js';
import { LiveLogs } from '../../invoker/metering/live-logs.js';
import type { GatewayEnv } from '../env.js';
import type { GatewayDeps } from '../deps.js';
import { LogStore, toEntries, type LogEntry, type LogQuery } from '../store/log-store.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export interface LogRoutesOptions {
  /** How often a follower gets an SSE comment, so that proxies keep the stream open. */
  keepAliveMs?: number;
}

/**
 * GET /v1/functions/:name/logs: stored log lines of the caller's own function.
 * - `since`: a duration back from now (`30s`, `10m`, `2h`, `1d`) or an ISO time; default 1h
 *   (with `invocation`, all time).
 * - `invocation`: one invocation's lines only.  `limit`: most lines (1..10000, default 1000).
 * - `follow=1`: Server-Sent Events (`event: log`, data = one line as JSON): the
 *   recent lines, then each new invocation's lines as the meter stores them.
 */
export function logRoutes(deps: GatewayDeps, opts: LogRoutesOptions = {}) {
  const app = new Hono<GatewayEnv>();
  const logs = new LogStore(deps.db);
  const keepAliveMs = opts.keepAliveMs ?? 15_000;

  app.get('/functions/:name/logs', async (c) => {
    const name = c.req.param('name');
    const fn = FunctionName.safeParse(name).success ? await deps.store.get(name) : undefined;
    if (!fn || !canAccess(c.get('principal'), fn.account)) throw new NotFound(`no function named ${name}`);
    const q = query(c, fn.name, fn.account);
    const follow = ['1', 'true'].includes(c.req.query('follow') ?? '');
    if (!follow) return c.json({ function: fn.name, lines: await logs.recent(q) });
    return streamSSE(c, async (stream) => followLogs(stream, q));
  });

  /** Subscribes first, then sends the stored lines, then the live ones not already sent. */
  async function followLogs(stream: SSEStreamingApi, q: LogQuery): Promise<void> {
    const sub = deps.redis.duplicate();
    sub.on('error', () => {});
    const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
    let tail: Promise<unknown> = Promise.resolve();
    const send = (lines: LogEntry[]) => {
      tail = tail.then(async () => {
        for (const line of lines) await stream.writeSSE({ event: 'log', data: JSON.stringify(line) });
      });
    };
    const sent = new Set<string>();
    let held: LiveLogs[] | undefined = [];
    const live = (m: LiveLogs) => {
      const id = m.invocationId.toLowerCase();
      if (m.account !== q.account || (q.invocationId && id !== q.invocationId.toLowerCase())) return;
      if (sent.has(`${id}/${m.attempt}`)) return;
      send(toEntries(id, m.attempt, m.lines));
    };
    sub.on('message', (_channel: string, message: string) => {
      let parsed;
      try {
        parsed = LiveLogs.safeParse(JSON.parse(message));
      } catch {
        return;
      }
      if (!parsed.success) return;
      if (held) held.push(parsed.data);
      else live(parsed.data);
    });
    const keepAlive = setInterval(() => {
      tail = tail.then(() => stream.write(': keep-alive\n\n'));
    }, keepAliveMs);
    try {
      await sub.subscribe(deps.redisKeys.logs(q.function));
      const recent = await logs.recent(q);
      for (const l of recent) sent.add(`${l.invocationId}/${l.attempt}`);
      send(recent);
      for (const m of held) live(m);
      held = undefined;
      await closed;
    } finally {
      clearInterval(keepAlive);
      sub.disconnect();
    }
  }
  return app;
}

function query(c: Context<GatewayEnv>, fn: string, account: string): LogQuery {
  const invocation = c.req.query('invocation');
  if (invocation !== undefined && !UUID_RE.test(invocation)) throw new BadRequest(`"${invocation}" is not an invocation id`);
  const sinceRaw = c.req.query('since');
  const since = sinceRaw === undefined ? new Date(invocation ? 0 : Date.now() - UNIT_MS.h) : parseSince(sinceRaw);
  const limitRaw = c.req.query('limit') ?? '1000';
  const limit = Number(limitRaw);
  if (!/^\d+$/.test(limitRaw) || limit < 1 || limit > 10_000) throw new BadRequest(`limit must be a whole number from 1 to 10000, got "${limitRaw}"`);
  return { function: fn, account, since, invocationId: invocation, limit };
}

function parseSince(s: string): Date {
  const m = DURATION_RE.exec(s);
  if (m) return new Date(Date.now() - Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
  const t = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  if (Number.isNaN(t)) throw new BadRequest(`since must be a duration like 30s, 10m, 2h, 1d or an ISO time, got "${s}"`);
  return new Date(t);
}
