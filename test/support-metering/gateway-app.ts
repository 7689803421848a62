import { createHash } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { loadConfig } from '../../core/config.js';
import { MeteringStream } from '../../core/metering.js';
import { redisKeys } from '../../core/redis-keys.js';
import { resolveManifest } from '../../core/schemas/manifest.js';
import { createApp } from '../../gateway/app.js';
import type { GatewayDeps } from '../../gateway/deps.js';
import { FunctionCache } from '../../gateway/function-cache.js';
import { InvocationClient } from '../../gateway/invocation-client.js';
import { FunctionStore } from '../../gateway/store/function-store.js';
import { KeyStore } from '../../gateway/store/key-store.js';
import type { TestContext } from '../support/context.js';

export const ADMIN_KEY = 'metering-test-admin-key-0123456789';

/** The gateway's app over real Redis and PostgreSQL (as gateway/server.ts builds it), for app.request(). */
export function gatewayApp(ctx: TestContext) {
  const config = loadConfig({ TSFN_PREFIX: ctx.prefix, TSFN_DB_SCHEMA: ctx.schema, TSFN_ADMIN_KEY: ADMIN_KEY });
  const keys = redisKeys(ctx.prefix);
  const store = new FunctionStore(ctx.db);
  const invocations = new InvocationClient(ctx.redis, keys, 'gw-metering-test');
  const deps: GatewayDeps = {
    config, db: ctx.db, redis: ctx.redis, redisKeys: keys, store, keys: new KeyStore(ctx.db, ADMIN_KEY),
    functions: new FunctionCache(store), invocations, meter: new MeteringStream(ctx.redis, keys.meteringStream),
    publicUrl: 'http://127.0.0.1:8080',
  };
  const app = createApp(deps);
  /** `key` null: no Authorization header. */
  const request = (path: string, key: string | null = ADMIN_KEY, init: RequestInit = {}) =>
    app.request(path, { ...init, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.headers as Record<string, string>) } });
  return {
    app, deps, request,
    /** A key of a new account. */
    async account(name: string): Promise<string> {
      await deps.keys.createAccount(name);
      return (await deps.keys.createKey(name)).key;
    },
    /** A function record (no real code: these tests never invoke it). */
    async fn(account: string, name: string) {
      const data = Buffer.from(name);
      const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
      await store.deploy(account, resolveManifest({}, name), { digest, size: data.length, data });
    },
    /** Listens on a loopback port, for clients that need real HTTP (the CLI). */
    listen(): Promise<{ url: string; close(): Promise<void> }> {
      return new Promise((resolve) => {
        const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () => new Promise<void>((done) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
        }));
      });
    },
    close: () => invocations.close(),
  };
}
