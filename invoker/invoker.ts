import { hostname, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../core/config.js';
import { MeteringStream } from '../core/metering.js';
import { paths } from '../core/paths.js';
import { INVOKER_STALE_MS, redisKeys } from '../core/redis-keys.js';
import { FunctionSpec } from '../core/schemas/invocation.js';
import { createDb, type Db } from '../infra/db.js';
import { detectCgroups, newOwnerId } from './cgroups/cgroup.js';
import { holdFavorDynmods, type FavorDynmods } from './cgroups/favor-dynmods.js';
import { CodeLayers } from './code-layers.js';
import { LauncherFactory } from './container/launcher-factory.js';
import { buildBaseLayer } from './layers/base-layer.js';
import { buildCodeCacheLayer } from './layers/code-cache-layer.js';
import { LayerStore } from './layers/layer-store.js';
import { ContainerPool, versionKey, type PoolOptions } from './pool/container-pool.js';
import { minWarmShare } from './pool/decisions.js';
import { SHIM_ENV, shimArgv } from './runtime/shim-command.js';
import { InvokerTelemetry } from './telemetry.js';
import { InvokerWorker } from './worker.js';

export interface InvokerOptions {
  config: Config;
  redisUrl: string;
  databaseUrl: string;
  /** Overrides for tests and benchmarks. */
  pool?: Partial<PoolOptions>;
}

export interface Invoker {
  id: string;
  pool: ContainerPool;
  /** Stops taking jobs, finishes running ones, tears down every container. */
  close(): Promise<void>;
}

const HEARTBEAT_MS = 2_000;
const MIN_WARM_SYNC_MS = 15_000;
const LAYER_SWEEP_MS = 60_000;
const MAX_RESPONSE_BYTES = 6 * 1048576;

export interface Host {
  factory: LauncherFactory;
  code: CodeLayers;
  layers: LayerStore;
  /** The containers' read-only root layers, top first. */
  rootLayers: string[];
}

/**
 * What containers on this host need: the cgroup manager (after removing what
 * a killed invoker left), the layer store with the base layer built, and a
 * container factory over the launcher.
 */
export async function prepareHost(config: Config, db: Db, owner: string): Promise<Host> {
  const cgroups = detectCgroups({ owner });
  const reaped = await cgroups.reapLeftovers();
  if (reaped.length) console.error(`invoker: removed ${reaped.length} cgroup tree(s) left by a killed invoker`);
  const layers = await LayerStore.open(config.TSFN_DATA_DIR);
  const base = await buildBaseLayer(layers, { shimPath: paths.shim });
  layers.markUsed(base.digest);
  const rootLayers = [base.path];
  try {
    const cache = await buildCodeCacheLayer(layers, base);
    layers.markUsed(cache.digest);
    rootLayers.unshift(cache.path);
  } catch (err) {
    console.error(`invoker: no code cache for the shim, cold starts compile it (${(err as Error).message})`);
  }
  await layers.evict(config.TSFN_LAYER_BUDGET_MIB * 1048576);
  const factory = new LauncherFactory(cgroups, {
    launcher: paths.launcher, rootLayers, shimArgv, shimEnv: SHIM_ENV, runDir: join(config.TSFN_DATA_DIR, 'run'),
    maxFrameBytes: MAX_RESPONSE_BYTES + 1048576, startTimeoutMs: 10_000,
  });
  return { factory, code: new CodeLayers(layers, db), layers, rootLayers };
}

/** The pool's settings from the configuration (SPEC §5). */
export function poolOptions(config: Config, host: Host): PoolOptions {
  return {
    factory: host.factory, codeDir: (spec, within) => host.code.dir(spec, within), budgetMiB: config.TSFN_INVOKER_MEMORY_MIB,
    prewarm: config.TSFN_PREWARM, stemMiB: 128, keepAliveMs: config.TSFN_KEEP_ALIVE_S * 1000, pauseGraceMs: 100,
    initTimeoutMs: 10_000, fullWaitMs: 1_000, maxResponseBytes: MAX_RESPONSE_BYTES,
    startCpu: Math.min(2, availableParallelism()),
  };
}

/** Cheap cgroup migrations for every container start while the invoker runs (native/README.md, favor-dynmods). */
async function favorDynmods(): Promise<FavorDynmods> {
  const held = await holdFavorDynmods(paths.launcher);
  if (held.state === 'held') console.error('invoker: cgroup favordynmods held (TSFN_CGROUP_FAVOR_DYNMODS=0 to leave the host setting alone)');
  if (held.state === 'unsupported') console.error(`invoker: cgroup favordynmods unsupported, container starts may wait for RCU: ${held.detail}`);
  return held;
}

/** The invoker of this host: cleanup of a killed predecessor, base layer, cgroup favordynmods, pool, BullMQ worker, heartbeat. */
export async function startInvoker(opts: InvokerOptions): Promise<Invoker> {
  const { config } = opts;
  if (process.getuid?.() !== 0) throw new Error('the invoker must run as root (namespaces, mounts, cgroups)');
  const id = newOwnerId('inv');
  const keys = redisKeys(config.TSFN_PREFIX);
  const db = createDb(opts.databaseUrl, config.TSFN_DB_SCHEMA, 4);
  const host = await prepareHost(config, db, id);
  const dynmods = config.TSFN_CGROUP_FAVOR_DYNMODS ? await favorDynmods() : undefined;
  const telemetry = new InvokerTelemetry();
  const pool = new ContainerPool({ ...poolOptions(config, host), observer: telemetry.observer, ...opts.pool });
  telemetry.observe(pool);
  pool.start();

  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  const worker = new InvokerWorker({
    redis, keys, pool, invokerId: id, meter: new MeteringStream(redis, keys.meteringStream),
    concurrency: Math.max(4, Math.min(256, Math.floor(config.TSFN_INVOKER_MEMORY_MIB / 64))),
    lockMs: config.TSFN_JOB_LOCK_MS,
    telemetry,
  });
  worker.start();

  // The metrics ride along: every gateway's /metrics reads them from here.
  // minWarm is per function across the installation: each invoker keeps its
  // share (minWarmShare), recomputed whenever the set of live invokers changes.
  let live: string[] = [];
  const syncMinWarm = serialised(async () => {
    const { rows } = await db.query(
      `select f.account, v.function as name, v.version, v.digest, v.manifest from functions f
       join function_versions v on v.function = f.name and v.version = f.latest_version
       where (v.manifest->>'minWarm')::int > 0`);
    const specs = rows.map((r) => FunctionSpec.parse({ account: r.account, name: r.name, version: r.version, digest: r.digest, ...r.manifest }));
    pool.keepWarm(specs.map((s) => ({ ...s, minWarm: minWarmShare(s.minWarm, live, id, versionKey(s)) })));
  });
  const beat = async () => {
    const stats = pool.stats();
    const metrics = await telemetry.snapshot();
    const now = Date.now();
    const replies = await redis.multi()
      .zadd(keys.invokers, now, id)
      .hset(keys.invoker(id), { host: hostname(), pid: process.pid, ...stats, metrics })
      .pexpire(keys.invoker(id), INVOKER_STALE_MS)
      .zrangebyscore(keys.invokers, now - INVOKER_STALE_MS, '+inf')
      .exec();
    const seen = ((replies?.[3]?.[1] as string[] | undefined) ?? []).sort();
    if (seen.join() !== live.join()) {
      live = seen;
      await syncMinWarm();
    }
  };
  await beat().catch((err) => console.error(`invoker: heartbeat or minWarm sync failed: ${err.message}`));
  const heartbeat = setInterval(() => beat().catch(() => {}), HEARTBEAT_MS);
  const minWarmTimer = setInterval(() => syncMinWarm().catch(() => {}), MIN_WARM_SYNC_MS);
  // Code no container holds any more may leave the disk when the layer budget is exceeded.
  const evictTimer = setInterval(() => {
    host.code.sweep(pool.codeInUse());
    host.layers.evict(config.TSFN_LAYER_BUDGET_MIB * 1048576).catch((err) => console.error(`invoker: layer eviction failed: ${err.message}`));
  }, LAYER_SWEEP_MS);
  evictTimer.unref();

  return {
    id, pool,
    async close() {
      clearInterval(heartbeat);
      clearInterval(minWarmTimer);
      clearInterval(evictTimer);
      await worker.close();
      await pool.shutdown();
      await host.factory.destroyAll();
      await dynmods?.release();
      await redis.multi().zrem(keys.invokers, id).del(keys.invoker(id)).exec().catch(() => {});
      redis.disconnect();
      await db.end();
      await telemetry.shutdown();
    },
  };
}

/** `fn` run one call at a time: a call made while one runs waits for it, then runs. */
function serialised(fn: () => Promise<void>): () => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return () => {
    const next = last.then(fn, fn);
    last = next.catch(() => {});
    return next;
  };
}
