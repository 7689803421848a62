/**
 * npm run bench:http: a warm hello function through the whole platform
 * (gateway, Redis, BullMQ, invoker, container, reply channel) next to the same
 * handler served directly by a Hono server in one process, both driven by wrk
 * with the same connections and duration, in one run.
 *
 * The platform runs as `tsfn up` runs it: gateway, invoker and meter as
 * separate processes of the built CLI. OpenTelemetry tracing is on for the
 * platform when BENCH_TRACING=1.
 *
 * Environment: BENCH_CONNECTIONS (8), BENCH_SECONDS (10), BENCH_RUNS (3).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { paths } from '../core/paths.js';
import { freePort } from '../infra/services/free-port.js';
import { buildArtifact, deploy } from '../test/support/artifacts.js';
import { benchContext } from './support/context.js';
import { median } from './support/stats.js';
import { requireWrk, wrk, type LoadResult } from './support/wrk.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

requireWrk();
const ctx = await benchContext();
const dataDir = mkdtempSync(join(tmpdir(), 'tsfn-bench-http-'));
const port = await freePort();
const admin = `admin-${randomBytes(16).toString('hex')}`;
const env = {
  PATH: process.env.PATH, REDIS_URL: ctx.redisUrl, DATABASE_URL: ctx.databaseUrl, TSFN_PREFIX: ctx.prefix,
  TSFN_DB_SCHEMA: ctx.schema, TSFN_DATA_DIR: dataDir, TSFN_PORT: String(port), TSFN_ADMIN_KEY: admin,
  TSFN_PREWARM: '0', TSFN_INVOKER_MEMORY_MIB: '4096',
  ...(process.env.BENCH_TRACING === '1' ? { OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'always_on' } : {}),
};
const children: ChildProcess[] = [];
const start = async (args: string[], ready: RegExp, childEnv: NodeJS.ProcessEnv = env) => {
  const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b) => { out += b; });
  child.stderr!.on('data', (b) => { out += b; });
  while (!ready.test(out)) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
};

const platform: LoadResult[] = [];
const direct: LoadResult[] = [];
try {
  const bin = join(paths.root, 'bin', 'tsfn.js');
  await start([bin, 'gateway'], /listening on/);
  await start([bin, 'invoker'], /running/);
  await start([bin, 'meter'], /draining/);
  const url = `http://127.0.0.1:${port}`;
  const hello = await buildArtifact({ 'index.ts': (await import('node:fs')).readFileSync(join(paths.functions, 'hello', 'index.ts'), 'utf8') });
  const d = await deploy(url, admin, 'hello', { concurrency: CONNECTIONS, cpu: 1 }, hello.data);
  if (d.status !== 201) throw new Error(`deploy failed: ${JSON.stringify(d.body)}`);
  const directPort = Number((await start([join(paths.root, 'bench', 'support', 'direct-hono.mjs')], /^\d+\n/, { PATH: process.env.PATH })).trim());

  const target = `${url}/fn/hello/?name=bench`;
  const baseline = `http://127.0.0.1:${directPort}/fn/hello/?name=bench`;
  wrk(target, CONNECTIONS, 3);
  wrk(baseline, CONNECTIONS, 2);
  for (let i = 0; i < RUNS; i++) {
    direct.push(wrk(baseline, CONNECTIONS, SECONDS));
    platform.push(wrk(target, CONNECTIONS, SECONDS));
  }
} finally {
  for (const c of children.reverse()) {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await once(c, 'exit');
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  await ctx.close();
}

const m = (rs: LoadResult[], k: keyof LoadResult) => median(rs.map((r) => r[k]));
const row = (name: string, rs: LoadResult[]) =>
  `${name.padEnd(28)} ${m(rs, 'rps').toFixed(0).padStart(8)} req/s   p50 ${m(rs, 'p50').toFixed(2).padStart(6)} ms   p99 ${m(rs, 'p99').toFixed(2).padStart(7)} ms   errors ${rs.reduce((n, r) => n + r.errors, 0)}`;
console.log(`\nbench:http  (${CONNECTIONS} connections, ${SECONDS} s x ${RUNS} runs, medians; tracing ${process.env.BENCH_TRACING === '1' ? 'on' : 'off'}; ${new Date().toISOString()})\n`);
console.log(row('direct Hono, one process', direct));
console.log(row('tsfn (gateway..container)', platform));
console.log(`\nthroughput ratio tsfn/direct = ${(m(platform, 'rps') / m(direct, 'rps')).toFixed(3)} (target >= 0.25)`);
console.log(`p50 overhead = ${(m(platform, 'p50') - m(direct, 'p50')).toFixed(2)} ms (target <= 2 ms)`);
