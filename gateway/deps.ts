import type { Redis } from 'ioredis';
import type { Config } from '../core/config.js';
import type { MeteringStream } from '../core/metering.js';
import type { RedisKeys } from '../core/redis-keys.js';
import type { Db } from '../infra/db.js';
import type { FunctionCache } from './function-cache.js';
import type { InvocationClient } from './invocation-client.js';
import type { FunctionStore } from './store/function-store.js';
import type { KeyStore } from './store/key-store.js';

/** Everything the gateway's routes use, built once by gateway/server.ts (or by a test). */
export interface GatewayDeps {
  config: Config;
  db: Db;
  redis: Redis;
  redisKeys: RedisKeys;
  store: FunctionStore;
  keys: KeyStore;
  functions: FunctionCache;
  invocations: InvocationClient;
  meter: Pick<MeteringStream, 'rejected'>;
  /** Base URL printed for functions, e.g. http://127.0.0.1:8080. */
  publicUrl: string;
}
