/**
 * `npx tsx invoker/runtime/shim-bench.ts`: start-up of the built shim on this
 * host, without containers, next to a bare `node -e 0`, all with the clean
 * SHIM_ENV and interleaved so that load on the machine hits every series
 * alike. The shim starts as in a container: through its boot (dist/shim-boot.cjs)
 * with a code cache made as the invoker makes it (code-cache-layer.ts), and
 * functions rendered as CommonJS as the invoker renders them
 * (commonjs-entry.ts). Medians (p50) and minimums, in ms:
 *
 *   bare            spawn `node -e 0` until it exits
 *   ready           spawn the shim until its `ready` frame
 *   cold <style>    spawn until the first invocation's result (ready, init, invoke)
 *   cold lambda, plain   the same, but dist/shim.cjs run directly (no code cache)
 *                   and the ESM entry imported (no CommonJS rendering)
 *   stem <style>    a --prewarm stem cell, idle: from `init` sent until the first result
 *   warm <style>    a further invocation of a warm shim
 *
 * Then, per style, BENCH_LOOP sequential invocations of one warm shim: the
 * time per round trip and the shim's CPU time per invocation (all its
 * threads, /proc/PID/stat), with BENCH_LOOP_GAP_MS of idle time between
 * invocations (0: back to back). BENCH_SHIM_ARGS="--cpu-prof
 * --cpu-prof-dir=DIR" profiles the shim.
 *
 * Environment: BENCH_N (samples per series, 40), BENCH_LOOP (5000), BENCH_LOOP_GAP_MS (0).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../../core/framing.js';
import { paths } from '../../core/paths.js';
import { BASE_PATHS } from '../layers/base-skeleton.js';
import { buildCodeCacheLayer } from '../layers/code-cache-layer.js';
import { renderCommonJs } from '../layers/commonjs-entry.js';
import { LayerStore } from '../layers/layer-store.js';
import { PREWARM_FLAG, SHIM_ENV } from './shim-command.js';

const N = Number(process.env.BENCH_N ?? 40);
const LOOP = Number(process.env.BENCH_LOOP ?? 5000);
const SHIM_ARGS = process.env.BENCH_SHIM_ARGS?.split(' ').filter(Boolean) ?? [];
const GAP_MS = Number(process.env.BENCH_LOOP_GAP_MS ?? 0);

/** CPU time of a process so far, all threads (ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}
const NODE = process.execPath;
const FUNCTIONS = {
  lambda: 'export async function handler() { return { statusCode: 200, body: "Hello, world!" }; }\n',
  fetch: 'export default { fetch: (req) => new Response(`Hello, ${new URL(req.url).searchParams.get("name")}!`) };\n',
};
type Style = keyof typeof FUNCTIONS;
type Sample = Record<string, number>;

const root = mkdtempSync(join(tmpdir(), 'tsfn-shim-bench-'));
const dirs = {} as Record<Style, string>;
for (const style of Object.keys(FUNCTIONS) as Style[]) {
  dirs[style] = join(root, style);
  mkdirSync(dirs[style]);
  writeFileSync(join(dirs[style], 'index.mjs'), FUNCTIONS[style]);
  await renderCommonJs(dirs[style], 'index.mjs');
}
const plainLambda = join(root, 'plain-lambda');
mkdirSync(plainLambda);
writeFileSync(join(plainLambda, 'index.mjs'), FUNCTIONS.lambda);

// /opt/tsfn as a container sees it: the boot, the shim and (from the code-cache layer) its cache.
const layer = join(root, 'layer');
mkdirSync(join(layer, 'opt', 'tsfn'), { recursive: true });
copyFileSync(paths.shimBoot, join(layer, BASE_PATHS.shimBoot));
copyFileSync(paths.shim, join(layer, BASE_PATHS.shim));
const cacheLayer = await buildCodeCacheLayer(await LayerStore.open(join(root, 'store')), { digest: `sha256:${'0'.repeat(64)}`, path: layer });
copyFileSync(join(cacheLayer.path, BASE_PATHS.shimCodeCache), join(layer, BASE_PATHS.shimCodeCache));
const boot = join(layer, BASE_PATHS.shimBoot);

const now = () => performance.now();

function bare(): Promise<Sample> {
  const t0 = now();
  return new Promise((resolve) => {
    spawn(NODE, ['-e', '0'], { stdio: 'ignore', env: { ...SHIM_ENV } }).on('exit', () => resolve({ bare: now() - t0 }));
  });
}

/** One shim's life: ready, then (unless only timing ready) init, two invocations (or `loop`), hang up. */
function shim(style: Style | undefined, stem: boolean, loop = 0, plain = false): Promise<Sample> {
  const t0 = now();
  const args = [...(loop ? SHIM_ARGS : []), plain ? paths.shim : boot, ...(stem ? [PREWARM_FLAG] : [])];
  const child = spawn(NODE, args, { stdio: ['ignore', 'ignore', 'inherit', 'pipe'], env: { ...SHIM_ENV } });
  const channel = child.stdio[3] as Socket;
  const decoder = new FrameDecoder(1 << 26);
  const s: Sample = {};
  let tInit = 0;
  let tWarm = 0;
  let cpu0 = 0;
  const invoke = (id: string) => channel.write(encodeFrame({
    t: 'invoke', id, kind: 'http', start: stem ? 'prewarm' : 'cold', trigger: 'http', deadline: Date.now() + 10_000,
    account: 'bench', http: { method: 'GET', path: '/', query: 'name=bench', headers: [['accept', '*/*'], ['user-agent', 'bench']] },
  }));
  channel.on('data', (chunk: Buffer) => {
    for (const { meta } of decoder.push(chunk)) {
      const f = meta as { t: string; id?: string };
      if (f.t === 'ready') {
        s.ready = now() - t0;
        if (!style) { channel.end(); continue; }
        // A stem cell idles (frozen, in production) before it is specialised.
        setTimeout(() => {
          tInit = now();
          channel.write(encodeFrame({
            t: 'init', name: 'bench', version: 1, memoryMiB: 128, codeDir: plain ? plainLambda : dirs[style], entry: 'index.mjs', env: {},
            maxResponseBytes: 6 << 20,
          }));
        }, stem ? 50 : 0);
      } else if (f.t === 'init-ok') {
        invoke('first');
      } else if (f.id === 'first') {
        s[stem ? 'stem' : 'cold'] = now() - (stem ? tInit : t0);
        tWarm = now();
        if (loop) cpu0 = cpuMs(child.pid!);
        invoke(loop ? 'loop-1' : 'second');
      } else if (f.id?.startsWith('loop-')) {
        const i = Number(f.id.slice(5));
        if (i < loop) {
          if (GAP_MS) setTimeout(() => invoke(`loop-${i + 1}`), GAP_MS);
          else invoke(`loop-${i + 1}`);
        } else {
          s.loop = (now() - tWarm) / loop - GAP_MS;
          s.loopCpu = (cpuMs(child.pid!) - cpu0) / loop;
          channel.end();
        }
      } else if (f.id === 'second') {
        s.warm = now() - tWarm;
        channel.end();
      } else if (f.t === 'init-error' || f.t === 'error') {
        throw new Error(`bench function failed: ${JSON.stringify(f)}`);
      }
    }
  });
  return new Promise((resolve) => child.on('exit', () => resolve(s)));
}

const series: Array<[string, () => Promise<Sample>, string]> = [
  ['bare', bare, 'bare'],
  ['ready', () => shim(undefined, false), 'ready'],
  ['ready --prewarm', () => shim(undefined, true), 'ready'],
  ['cold lambda', () => shim('lambda', false), 'cold'],
  ['cold fetch', () => shim('fetch', false), 'cold'],
  ['cold lambda, plain', () => shim('lambda', false, 0, true), 'cold'],
  ['stem lambda', () => shim('lambda', true), 'stem'],
  ['stem fetch', () => shim('fetch', true), 'stem'],
];
const results = new Map<string, Sample[]>(series.map(([name]) => [name, []]));
const loops = new Map<Style, Sample>();
try {
  for (let i = 0; i < N + 2; i++) {
    for (const [name, run] of series) {
      const sample = await run();
      if (i >= 2) results.get(name)!.push(sample);
    }
  }
  if (LOOP > 0) for (const style of Object.keys(FUNCTIONS) as Style[]) loops.set(style, await shim(style, false, LOOP));
} finally {
  rmSync(root, { recursive: true, force: true });
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const bareP50 = quantile(results.get('bare')!.map((s) => s.bare!), 0.5);
console.log(`node ${process.version}, ${N} samples per series, ms`);
for (const [name, , key] of series) {
  const samples = results.get(name)!;
  const xs = samples.map((s) => s[key]!);
  const p50 = quantile(xs, 0.5);
  const ratio = key === 'stem' ? '' : `  ${(p50 / bareP50).toFixed(2)}x bare`;
  const warm = samples[0]?.warm === undefined ? '' : `  warm p50 ${quantile(samples.map((s) => s.warm!), 0.5).toFixed(2)}`;
  console.log(`${name.padEnd(16)} p50 ${p50.toFixed(1).padStart(6)}  min ${quantile(xs, 0).toFixed(1).padStart(6)}${ratio}${warm}`);
}
for (const [style, s] of loops) {
  console.log(`warm loop ${style.padEnd(7)} ${(s.loop! * 1000).toFixed(0)} us per round trip, ${(s.loopCpu! * 1000).toFixed(0)} us of the shim's CPU per invocation (${LOOP} in a row, ${GAP_MS} ms apart, one shim)`);
}
