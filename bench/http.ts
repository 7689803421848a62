/**
 * npm run bench:http: a warm hello function through the whole platform
 * (gateway, Redis, BullMQ, invoker, container, reply channel) next to the same
 * handler served directly by a Hono server in one process, both driven by wrk
 * with the same connections and duration, in one run.
 *
 * The platform runs as `tsfn up` runs it: gateway, invoker and meter as
 * separate processes of the built CLI.
 *
 * BENCH_TRACING=1 also starts a second, identical platform (its own prefix,
 * schema and data directory) with OpenTelemetry tracing turned on the way an
 * operator would, through the standard variables only: every request sampled
 * (always_on), spans batched and exported over OTLP/HTTP to a stand-in
 * collector, a process of its own (test/support/otlp-sink.mjs) that answers
 * every export and counts the spans. Each round then drives untraced, traced
 * and direct in turn, so the traced/untraced ratio is measured side by side;
 * the two platforms take turns going first (use an even BENCH_RUNS), because
 * an A/A run (both untraced) found whichever went second 5-15% slower.
 * The figure includes the whole cost a traced installation pays: context
 * propagation, span creation, the Redis and PostgreSQL client
 * instrumentations, serialisation (OTLP/protobuf, the default protocol) and
 * the HTTP export.
 *
 * When some invocations did not end ok, it prints their metering records by
 * status and start kind, and what the platforms' processes printed under load,
 * so that wrk's rare non-2xx answers can be told apart.
 *
 * Environment: BENCH_CONNECTIONS (8), BENCH_SECONDS (10), BENCH_RUNS (4),
 * BENCH_SETTLE_MS (3000, an idle pause before each load),
 * BENCH_TRACING (0), BENCH_TRACED_<NAME> (sets NAME for the traced platform only,
 * e.g. BENCH_TRACED_OTEL_TRACES_SAMPLER=parentbased_traceidratio), BENCH_NODE_ARGS (node options for the platforms' processes,
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them).
 *
 * BENCH_AB_ROOT=<another checkout, built> compares two builds instead: the
 * first platform ("untraced") runs that checkout's bin/tsfn.js, traced the
 * same way as the second, so that the ratio is this build's throughput over
 * that one's with tracing on in both (with BENCH_TRACING=1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { paths } from '../core/paths.js';
import { freePort } from '../infra/services/free-port.js';
import { buildArtifact, deploy } from '../test/support/artifacts.js';
import { benchContext, type BenchContext } from './support/context.js';
import { median } from './support/stats.js';
import { requireWrk, wrk, type LoadResult } from './support/wrk.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 4);
const TRACING = process.env.BENCH_TRACING === '1';
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 3000);
const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const AB_ROOT = process.env.BENCH_AB_ROOT || undefined;

requireWrk();
const contexts: BenchContext[] = [];
const children: ChildProcess[] = [];
/** What each platform process printed after its ready line, by component and platform ("untraced gateway"). */
const printedAfterStart = new Map<string, () => string>();
const start = async (args: string[], ready: RegExp, childEnv: NodeJS.ProcessEnv, label?: string) => {
  const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b) => { out += b; });
  child.stderr!.on('data', (b) => { out += b; });
  while (!ready.test(out)) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const startedAt = out.length;
  if (label) printedAfterStart.set(label, () => out.slice(startedAt));
  return out;
};

/** Gateway, invoker and meter on a slice of their own, with hello deployed; the URL to drive. */
async function platform(name: 'untraced' | 'traced', otel: NodeJS.ProcessEnv): Promise<string> {
  const ctx = await benchContext();
  contexts.push(ctx);
  platformSchemas[name] = ctx;
  const port = await freePort();
  const admin = `admin-${randomBytes(16).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, REDIS_URL: ctx.redisUrl, DATABASE_URL: ctx.databaseUrl, TSFN_PREFIX: ctx.prefix,
    TSFN_DB_SCHEMA: ctx.schema, TSFN_DATA_DIR: ctx.dataDir, TSFN_PORT: String(port), TSFN_ADMIN_KEY: admin,
    TSFN_PREWARM: '0', TSFN_INVOKER_MEMORY_MIB: '4096', ...otel,
  };
  const bin = join(name === 'untraced' && AB_ROOT ? AB_ROOT : paths.root, 'bin', 'tsfn.js');
  await start([...NODE_ARGS, bin, 'gateway'], /listening on/, env, `${name} gateway`);
  await start([...NODE_ARGS, bin, 'invoker'], /running/, env, `${name} invoker`);
  await start([...NODE_ARGS, bin, 'meter'], /draining/, env, `${name} meter`);
  const url = `http://127.0.0.1:${port}`;
  const hello = await buildArtifact({ 'index.ts': readFileSync(join(paths.functions, 'hello', 'index.ts'), 'utf8') });
  const d = await deploy(url, admin, 'hello', { concurrency: CONNECTIONS, cpu: 1 }, hello.data);
  if (d.status !== 201) throw new Error(`deploy failed: ${JSON.stringify(d.body)}`);
  return `${url}/fn/hello/?name=bench`;
}

/** BENCH_TRACED_<NAME>=value variables, as NAME=value for the traced platform. */
function tracedOverrides(): NodeJS.ProcessEnv {
  const prefix = 'BENCH_TRACED_';
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

const platformSchemas: Partial<Record<'untraced' | 'traced', BenchContext>> = {};
/** Lines telling why some invocations failed, when any did (printed at the end). */
const failures: string[] = [];
const results: Record<'direct' | 'untraced' | 'traced', LoadResult[]> = { direct: [], untraced: [], traced: [] };
let exported = '';
const warmUp: Record<string, number> = {};
try {
  const targets: Partial<Record<keyof typeof results, string>> = {};
  let sink: string | undefined;
  if (TRACING) {
    const sinkPort = (await start([join(paths.root, 'test', 'support', 'otlp-sink.mjs')], /^\d+\n/, { PATH: process.env.PATH })).trim();
    sink = `http://127.0.0.1:${sinkPort}`;
  }
  const otel = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${sink}/v1/traces`, OTEL_TRACES_SAMPLER: 'always_on' };
  targets.untraced = await platform('untraced', AB_ROOT ? otel : {});
  if (TRACING) targets.traced = await platform('traced', { ...otel, ...tracedOverrides() });
  const directPort = Number((await start([join(paths.root, 'bench', 'support', 'direct-hono.mjs')], /^\d+\n/, { PATH: process.env.PATH })).trim());
  targets.direct = `http://127.0.0.1:${directPort}/fn/hello/?name=bench`;

  // Warm-up: the platform's processes take some 10 s of load to reach their steady state (JIT).
  for (const [name, url] of Object.entries(targets)) warmUp[name] = wrk(url, CONNECTIONS, name === 'direct' ? 2 : 10).requests;
  // The two platforms take turns going first: a platform's meter still
  // drains the records of its round while the next round runs, which would
  // otherwise always weigh on the same one.
  const order = Object.keys(targets) as Array<keyof typeof results>;
  for (let i = 0; i < RUNS; i++) {
    const round = i % 2 === 0 ? order : [order[1]!, order[0]!, ...order.slice(2)];
    for (const name of round) {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      results[name].push(wrk(targets[name]!, CONNECTIONS, SECONDS));
    }
  }
  if (sink) {
    // The batch processors export every 5 s: give the last batch time to arrive.
    await new Promise((r) => setTimeout(r, 6000));
    const s = await (await fetch(`${sink}/stats`)).json() as { requests: { traces: number }; bytes: number; spans: number };
    exported = `; ${s.spans} spans in ${s.requests.traces} OTLP exports (${(s.bytes / 1048576).toFixed(1)} MiB) reached the collector`;
  }
  await explainFailures();
} finally {
  for (const c of children.reverse()) {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await once(c, 'exit');
    }
  }
  for (const ctx of contexts) await ctx.close();
}

/**
 * The rare non-2xx answers wrk counts: the metering records of invocations
 * that did not end ok (their status and start), and what the platform's
 * processes printed while under load.
 */
async function explainFailures(): Promise<void> {
  for (const [name, ctx] of Object.entries(platformSchemas)) {
    const { rows } = await ctx.db.query<{ status: string; start: string; n: string }>(
      `select status, start, count(*) as n from ${ctx.schema}.invocations where status <> 'ok' group by 1, 2 order by 3 desc`,
    );
    if (rows.length) failures.push(`${name}: invocations not ok (metering records so far): ${rows.map((r) => `${r.status}/${r.start} ${r.n}`).join(', ')}`);
  }
  for (const [label, printed] of printedAfterStart) {
    const lines = printed().split('\n').filter((l) => l.trim() && !/stopping|draining|closed/.test(l));
    if (lines.length) failures.push(`${label} printed under load (last ${Math.min(lines.length, 5)} of ${lines.length} lines):\n  ${lines.slice(-5).join('\n  ')}`);
  }
}

const m = (rs: LoadResult[], k: keyof LoadResult) => median(rs.map((r) => r[k]));
/** Errors over every round, by kind when there are any. */
function errorsOf(rs: LoadResult[]): string {
  const sum = (k: keyof LoadResult) => rs.reduce((n, r) => n + r[k], 0);
  if (!sum('errors')) return '0';
  return `${sum('errors')} (non-2xx ${sum('non2xx')}, socket ${sum('socketErrors')}, timeouts ${sum('timeouts')})`;
}
const row = (name: string, rs: LoadResult[]) =>
  `${name.padEnd(34)} ${m(rs, 'rps').toFixed(0).padStart(8)} req/s   p50 ${m(rs, 'p50').toFixed(2).padStart(6)} ms   p99 ${m(rs, 'p99').toFixed(2).padStart(7)} ms   errors ${errorsOf(rs)}`;
console.log(`\nbench:http  (${CONNECTIONS} connections, ${SECONDS} s x ${RUNS} runs, medians${exported}; ${new Date().toISOString()})\n`);
console.log(row('direct Hono, one process', results.direct));
console.log(row(AB_ROOT ? `tsfn of ${AB_ROOT}, traced` : 'tsfn (gateway..container)', results.untraced));
if (TRACING) console.log(row(`tsfn, traced (${tracedOverrides().OTEL_TRACES_SAMPLER ?? 'always_on'}, OTLP)`, results.traced));
const loaded = Object.entries(results).filter(([, rs]) => rs.length);
/** Every request a target served, its warm-up included: what to divide CPU time by (bench/support/cpu-by-process.py). */
const served = (rs: LoadResult[], k: string) => rs.reduce((n, r) => n + r.requests, warmUp[k] ?? 0);
console.log(`\nreq/s by round: ${loaded.map(([k, rs]) => `${k} ${rs.map((r) => r.rps.toFixed(0)).join(' ')}`).join('; ')}`);
console.log(`requests served: ${loaded.map(([k, rs]) => `${k} ${served(rs, k)}`).join('; ')}`);
console.log(`\nthroughput ratio tsfn/direct = ${(m(results.untraced, 'rps') / m(results.direct, 'rps')).toFixed(3)} (target >= 0.25)`);
console.log(`p50 overhead = ${(m(results.untraced, 'p50') - m(results.direct, 'p50')).toFixed(2)} ms (target <= 2 ms)`);
if (TRACING) {
  // Each round's ratio is measured side by side; the ratio of the two medians
  // pairs loads from different rounds, which a machine whose speed drifts
  // over the run flatters or penalises.
  const ratios = results.traced.map((t, i) => t.rps / results.untraced[i]!.rps);
  console.log(`${AB_ROOT ? 'this build/that build (both traced)' : 'traced/untraced'} throughput = ${median(ratios).toFixed(3)}, the median round (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}; target >= 0.90); `
    + `ratio of the medians ${(m(results.traced, 'rps') / m(results.untraced, 'rps')).toFixed(3)}, `
    + `of the requests served ${(served(results.traced, 'traced') / served(results.untraced, 'untraced')).toFixed(3)}`);
}
if (failures.length) console.log(`\n${failures.join('\n')}`);
