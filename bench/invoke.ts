/**
 * npm run bench:invoke: invocation latency through the invoker, without the
 * gateway, next to a bare `node -e 0` start (clean environment), in one run.
 *
 *   bare    spawn `env -i node -e 0` and wait for it to exit (timed from a small
 *           helper process: this large one would add its own fork cost)
 *   cold    pool.acquire (container start + shim boot + function import) + first run,
 *           for the fetch-style hello and a Lambda-style one (Node 20 loads its fetch
 *           classes, Request/Response, on first use: some 17 ms of a fetch-style cold start)
 *   prewarm pool.acquire from a booted stem cell (thaw, attach code, import) + first run
 *   warm    pool.acquire of an idle container (thaw) + run
 *   queue   warm, but the whole invoker path: BullMQ job, worker, pool, run, reply on Redis
 *
 * The invoker's own overhead on a warm run is `warm` minus the handler's time
 * inside the container (measured by the shim-less echo: a run of a function
 * that returns at once is almost all overhead, so `warm` itself is reported).
 *
 * Each cold, prewarm and bare sample starts on a quiet host: the stem cell
 * taken by the last prewarm sample replaced, then BENCH_SETTLE_MS (150) of
 * idle time for earlier containers' teardown.
 *
 * Environment: BENCH_N (cold/prewarm samples, 30), BENCH_WARM_N (warm samples, 2000), BENCH_SETTLE_MS.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { paths } from '../core/paths.js';
import { newInvocationId } from '../core/ids.js';
import { newOwnerId } from '../invoker/cgroups/cgroup.js';
import { poolOptions, prepareHost, startInvoker } from '../invoker/invoker.js';
import { ContainerPool, type Lease } from '../invoker/pool/container-pool.js';
import { fmt, median, percentile } from './support/stats.js';
import { benchContext } from './support/context.js';
import { InvokeClient } from '../test/support/invoke-client.js';
import { testConfig } from '../test/support/platform.js';

const N = Number(process.env.BENCH_N ?? 30);
const WARM_N = Number(process.env.BENCH_WARM_N ?? 2000);
/** Quiet time before each cold, prewarm and bare sample. */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 150);
const BARE_NODE = join(paths.root, 'bench', 'support', 'bare-node.mjs');
const HELLO = { 'index.ts': 'export default { fetch: () => new Response("Hello, world!") };' };
const HELLO_LAMBDA = { 'index.ts': 'export async function handler() { return { statusCode: 200, body: "Hello, world!" }; }' };

const ctx = await benchContext();
const config = testConfig(ctx, { TSFN_PREWARM: '0' });
const host = await prepareHost(config, ctx.db, newOwnerId('inv'));
const client = await InvokeClient.open(ctx);
const hello = await client.deploy('hello', HELLO);
const helloLambda = await client.deploy('hello-lambda', HELLO_LAMBDA);
await host.code.dir(hello);
await host.code.dir(helloLambda);

const run = async (l: Lease) => {
  const out = await l.container.run({
    t: 'invoke', id: newInvocationId(), kind: 'http', start: l.start, trigger: 'http', deadline: Date.now() + 10_000,
    account: 'default', http: { method: 'GET', path: '/', query: '', headers: [] },
  }, Buffer.alloc(0), 10_000);
  if (out.kind !== 'result') throw new Error(`run failed: ${out.kind}`);
};
const acquireRun = async (pool: ContainerPool, release: boolean, fn = hello) => {
  const t0 = performance.now();
  const a = await pool.acquire(fn, Date.now() + 30_000);
  if (a.kind !== 'lease') throw new Error(`init failed: ${JSON.stringify(a.outcome)}`);
  await run(a.lease);
  const ms = performance.now() - t0;
  a.lease.release(release);
  return { ms, start: a.lease.start };
};
const waitFor = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
};

const bare: number[] = [];
const cold: number[] = [];
const coldLambda: number[] = [];
const prewarm: number[] = [];
const warm: number[] = [];
const queued: number[] = [];
try {
  const coldPool = new ContainerPool({ ...poolOptions(config, host), prewarm: 0 });
  const stemPool = new ContainerPool({ ...poolOptions(config, host), prewarm: 1 });
  stemPool.start();
  // Every sample starts on a quiet host: the stem cell taken last time replaced
  // and the containers of earlier samples torn down (both run in the
  // background, and would otherwise compete with the sample for the CPU).
  const settle = async () => {
    await waitFor(() => stemPool.stats().prewarm === 1);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
  };
  for (let i = 0; i < N; i++) {
    await settle();
    bare.push(Number(execFileSync(process.execPath, [BARE_NODE], { env: {} }).toString()));
    await settle();
    const c = await acquireRun(coldPool, false);
    if (c.start !== 'cold') throw new Error(`expected cold, got ${c.start}`);
    cold.push(c.ms);
    await settle();
    coldLambda.push((await acquireRun(coldPool, false, helloLambda)).ms);
    await settle();
    const p = await acquireRun(stemPool, false);
    if (p.start !== 'prewarm') throw new Error(`expected prewarm, got ${p.start}`);
    prewarm.push(p.ms);
  }
  await stemPool.shutdown();
  await coldPool.shutdown();

  const warmPool = new ContainerPool({ ...poolOptions(config, host), prewarm: 0, pauseGraceMs: 60_000 });
  await acquireRun(warmPool, true);
  for (let i = 0; i < WARM_N; i++) {
    const w = await acquireRun(warmPool, true);
    if (w.start !== 'warm') throw new Error(`expected warm, got ${w.start}`);
    warm.push(w.ms);
  }
  await warmPool.shutdown();

  const invoker = await startInvoker({ config, redisUrl: ctx.redisUrl, databaseUrl: ctx.databaseUrl, pool: { pauseGraceMs: 60_000 } });
  await client.call(hello);
  for (let i = 0; i < Math.min(WARM_N, 1000); i++) {
    const t0 = performance.now();
    const r = await client.call(hello);
    if (r.start !== 'warm') throw new Error(`expected warm, got ${r.start}`);
    queued.push(performance.now() - t0);
  }
  await invoker.close();
} finally {
  await host.factory.destroyAll();
  await client.close();
  await ctx.close();
}

const row = (name: string, s: number[]) =>
  `${name.padEnd(34)} ${fmt(median(s)).padStart(10)} ${fmt(percentile(s, 99)).padStart(10)}   n=${s.length}`;
console.log(`\nbench:invoke  (hello function, 128 MiB; ${new Date().toISOString()})\n`);
console.log(`${''.padEnd(34)} ${'p50'.padStart(10)} ${'p99'.padStart(10)}`);
console.log(row('bare `env -i node -e 0`', bare));
console.log(row('cold (start + init + run)', cold));
console.log(row('cold, Lambda-style hello', coldLambda));
console.log(row('prewarm (specialise + init + run)', prewarm));
console.log(row('warm (acquire + run)', warm));
console.log(row('warm through BullMQ + reply', queued));
console.log(`\ncold / bare = ${(median(cold) / median(bare)).toFixed(2)} (target <= 1.3); Lambda-style ${(median(coldLambda) / median(bare)).toFixed(2)}`);
console.log(`prewarm p50 = ${fmt(median(prewarm))} (target <= 10 ms)`);
console.log(`warm invoker overhead p50 = ${fmt(median(warm), 3)} (target <= 1 ms)`);
