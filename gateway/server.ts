import { serve, type ServerType } from '@hono/node-server';
import { Redis } from 'ioredis';
import type { Config } from '../core/config.js';
import { shortId } from '../core/ids.js';
import { MeteringStream } from '../core/metering.js';
import { redisKeys } from '../core/redis-keys.js';
import { createDb } from '../infra/db.js';
import { migrate } from '../infra/migrate.js';
import { createApp } from './app.js';
import type { GatewayDeps } from './deps.js';
import { FunctionCache } from './function-cache.js';
import { InvocationClient } from './invocation-client.js';
import { FunctionStore } from './store/function-store.js';
import { KeyStore } from './store/key-store.js';

export interface Gateway {
  id: string;
  url: string;
  port: number;
  deps: GatewayDeps;
  close(): Promise<void>;
}

export interface GatewayOptions {
  config: Config;
  redisUrl: string;
  databaseUrl: string;
}

/** Builds the gateway's dependencies, migrates the database and listens. */
export async function startGateway({ config, redisUrl, databaseUrl }: GatewayOptions): Promise<Gateway> {
  const id = `gw-${shortId()}`;
  const db = createDb(databaseUrl, config.TSFN_DB_SCHEMA, 20);
  await migrate(db, config.TSFN_DB_SCHEMA);
  // No auto-pipelining: of the invocation path's commands it batched only
  // BullMQ's, and each batch is an ioredis Pipeline, whose constructor copies
  // every script BullMQ defines on the connection (some 100 properties). It
  // cost more than the writes it saved: bench:http gave 8% more throughput
  // without it (4 rounds, each 1.06-1.09x).
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const keys = redisKeys(config.TSFN_PREFIX);
  const store = new FunctionStore(db);
  const functions = new FunctionCache(store);
  const invocations = new InvocationClient(redis, keys, id);
  await invocations.listen(sub);
  await functions.listen(sub, keys.functionChanged);

  const deps: GatewayDeps = {
    config, db, redis, redisKeys: keys, store, functions, invocations,
    keys: new KeyStore(db, config.TSFN_ADMIN_KEY),
    meter: new MeteringStream(redis, keys.meteringStream),
    publicUrl: config.TSFN_PUBLIC_URL ?? '',
  };
  const app = createApp(deps);
  const server = await listen(config, app.fetch);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.TSFN_PORT;
  const url = `http://${config.TSFN_HOST.includes(':') ? `[${config.TSFN_HOST}]` : config.TSFN_HOST}:${port}`;
  // With TSFN_PORT=0 the port is known only now.
  deps.publicUrl ||= url;
  return {
    id, url, port, deps,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await invocations.close();
      sub.disconnect();
      redis.disconnect();
      await db.end();
    },
  };
}

function listen(config: Config, fetch: (req: Request) => Response | Promise<Response>): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: config.TSFN_PORT, hostname: config.TSFN_HOST }, () => resolve(server));
    server.once('error', reject);
  });
}
