/** An invoker that has not beaten its heart (keys.invokers) for this long is presumed gone. */
export const INVOKER_STALE_MS = 10_000;

/**
 * Every Redis key and channel name tsfn uses is built here, and only here.
 * `prefix` isolates installations (and test runs) sharing one Redis; it may be
 * a `{hash tag}` for Redis Cluster, as BullMQ's prefix may.
 */
export interface RedisKeys {
  /** BullMQ prefix: queues live under `<prefix>:bull:<queue>:*`. */
  bullPrefix: string;
  /** Pub/sub channel where a gateway instance receives its sync replies. */
  reply(gatewayId: string): string;
  /** Stream of metering records, drained by the meter worker. */
  meteringStream: string;
  /** Sorted set of in-flight invocation ids of one function, scored by deadline. */
  inflight(fn: string): string;
  /** Sorted set of live invokers, scored by last heartbeat (ms). */
  invokers: string;
  /** Hash describing one invoker (host, capacity, free memory). */
  invoker(id: string): string;
  /** Pub/sub channel carrying a function's log lines live (tsfn logs -f). */
  logs(fn: string): string;
  /** Pub/sub channel telling gateways that a function changed (cache drop). */
  functionChanged: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    bullPrefix: `${prefix}:bull`,
    reply: (gw) => `${prefix}:reply:${gw}`,
    meteringStream: `${prefix}:metering`,
    inflight: (fn) => `${prefix}:inflight:${fn}`,
    invokers: `${prefix}:invokers`,
    invoker: (id) => `${prefix}:invoker:${id}`,
    logs: (fn) => `${prefix}:logs:${fn}`,
    functionChanged: `${prefix}:function-changed`,
  };
}

/** BullMQ queue names. */
export const QUEUES = {
  invocations: 'invocations',
} as const;
