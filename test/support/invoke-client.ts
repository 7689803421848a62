import { Redis } from 'ioredis';
import { newInvocationId, shortId } from '../../core/ids.js';
import { redisKeys } from '../../core/redis-keys.js';
import type { FunctionSpec, InvocationJob, Reply } from '../../core/schemas/invocation.js';
import { resolveManifest, type ManifestInput } from '../../core/schemas/manifest.js';
import { InvocationClient } from '../../gateway/invocation-client.js';
import { FunctionStore, toSpec } from '../../gateway/store/function-store.js';
import { buildArtifact } from './artifacts.js';
import type { TestContext } from './context.js';
import { NO_TRACE } from '../../core/telemetry/trace-context.js';

export interface Call {
  method?: string;
  path?: string;
  query?: string;
  headers?: [string, string][];
  body?: Buffer | string;
  kind?: 'http' | 'event';
  trigger?: InvocationJob['trigger'];
  /** Overrides the deadline (epoch ms); default timeout + 2 s from now. */
  deadline?: number;
}

/**
 * Talks to an invoker the way a gateway does (BullMQ job, reply channel),
 * without HTTP: for tests of the invoker itself.
 */
export class InvokeClient {
  readonly store: FunctionStore;
  private constructor(private readonly client: InvocationClient, private readonly conns: Redis[], ctx: Pick<TestContext, 'db'>) {
    this.store = new FunctionStore(ctx.db);
  }

  static async open(ctx: Pick<TestContext, 'db' | 'redisUrl' | 'prefix'>): Promise<InvokeClient> {
    const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
    const sub = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
    const client = new InvocationClient(redis, redisKeys(ctx.prefix), `gw-test-${shortId()}`);
    await client.listen(sub);
    return new InvokeClient(client, [redis, sub], ctx);
  }

  /** Bundles `files` and records a version, as a deploy does; returns the spec an invoker runs. */
  async deploy(name: string, files: Record<string, string>, manifest: ManifestInput = {}): Promise<FunctionSpec> {
    const art = await buildArtifact(files);
    const m = resolveManifest({ ...manifest, entry: 'index.mjs' }, name);
    const { version } = await this.store.deploy('default', m, { digest: art.digest, size: art.data.length, data: art.data });
    return toSpec('default', version);
  }

  call(spec: FunctionSpec, c: Call = {}): Promise<Reply> {
    const now = Date.now();
    const deadline = c.deadline ?? now + spec.timeout * 1000 + 2000;
    const body = typeof c.body === 'string' ? Buffer.from(c.body) : (c.body ?? Buffer.alloc(0));
    return this.client.invokeSync({
      invocationId: newInvocationId(), fn: spec, trigger: c.trigger ?? 'http', kind: c.kind ?? 'http',
      http: { method: c.method ?? 'GET', path: c.path ?? '/', query: c.query ?? '', headers: c.headers ?? [] },
      bodyB64: body.toString('base64'), queuedAt: now, deadline,
    }, deadline + 5000, NO_TRACE);
  }

  /** Queues an async invocation (retried `retries` times); returns its id. */
  async callAsync(spec: FunctionSpec, body = '{}', retries = 0): Promise<string> {
    const invocationId = newInvocationId();
    await this.client.invokeAsync({
      invocationId, fn: spec, trigger: 'async', kind: 'event',
      http: { method: 'POST', path: '/', query: '', headers: [['content-type', 'application/json']] },
      bodyB64: Buffer.from(body).toString('base64'), queuedAt: Date.now(),
    }, retries, NO_TRACE);
    return invocationId;
  }

  get queue() {
    return this.client.queue;
  }

  async close(): Promise<void> {
    await this.client.close();
    for (const c of this.conns) c.disconnect();
  }
}

export const text = (r: Reply): string => Buffer.from(r.http?.bodyB64 ?? '', 'base64').toString();
export const header = (r: Reply, name: string): string | undefined => r.http?.headers.find(([k]) => k.toLowerCase() === name)?.[1];
