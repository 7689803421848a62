/**
 * npm run bench:launcher-phases: where a container start's time goes, step by
 * step. It builds the launcher with its steps stamped (`make TIMING=1`,
 * native/src/stamp.h: CLOCK_MONOTONIC readings written to stderr), starts
 * `node --version` in a container as bench:launcher's `launcher` row does
 * (a network namespace made ahead, the bench's cgroup, favordynmods held), and
 * prints the median time between consecutive stamps, next to bare
 * `node --version`, interleaved.
 *
 *   spawn    this process calls spawnSync        init     init's first step
 *   main     the launcher's main                 mounted  root filesystem built, before pivot_root
 *   clone    the outer launcher clones init      seccomp  ids, caps and limits set, before the filter
 *   vfork    init starts the payload             payload  the payload's first step
 *   exec     the payload's execve                execd    the outer launcher sees the exec
 *   reaped   init has reaped the payload         exited   the outer launcher has reaped init
 *   done     spawnSync returns
 *
 * Environment: BENCH_N (samples, 40).
 */
import { spawnSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../core/paths.js';
import { openFreshNetns } from '../invoker/container/netns-hold.js';
import { openContainerBench } from './support/container-bench.js';
import { fmt, median } from './support/stats.js';

const N = Number(process.env.BENCH_N ?? 40);
const make = spawnSync('make', ['-s', '-C', join(paths.root, 'native'), 'TIMING=1', 'build/tsfn-launcher-timing'], { stdio: 'inherit' });
if (make.status !== 0) throw new Error('make TIMING=1 failed');
const launcher = join(paths.root, 'native', 'build', 'tsfn-launcher-timing');

const bench = await openContainerBench('bench-launcher-phases');

const steps = new Map<string, number[]>();
const totals = { launcher: [] as number[], bare: [] as number[] };
const args = bench.nodeVersionArgs(['--netns-fd', '3']);
try {
  for (let i = 0; i < N + 2; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync('/usr/bin/node', ['--version'], { env: { PATH: '/usr/bin' } });
    const bare = Number(process.hrtime.bigint() - t0) / 1e6;

    const fd = await openFreshNetns(paths.launcher);
    const start = process.hrtime.bigint();
    const r = spawnSync(launcher, args, { stdio: ['ignore', 'pipe', 'pipe', fd], env: {} });
    const end = process.hrtime.bigint();
    closeSync(fd);
    if (r.status !== 0) throw new Error(`launcher failed (${r.status}): ${r.stderr}`);
    if (i < 2) continue;
    totals.bare.push(bare);
    totals.launcher.push(Number(end - start) / 1e6);
    const marks: [string, bigint][] = [['spawn', start]];
    for (const m of r.stderr.toString().matchAll(/^T (\w+) (\d+)$/gm)) marks.push([m[1]!, BigInt(m[2]!)]);
    marks.push(['done', end]);
    marks.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    for (let k = 1; k < marks.length; k++) {
      const key = `${marks[k - 1]![0]} -> ${marks[k]![0]}`;
      if (!steps.has(key)) steps.set(key, []);
      steps.get(key)!.push(Number(marks[k]![1] - marks[k - 1]![1]) / 1e6);
    }
  }
} finally {
  await bench.close();
}

console.log(`\nbench:launcher-phases  (node --version, ${N} samples, netns made ahead; ${new Date().toISOString()})\n`);
for (const [key, v] of steps) if (v.length >= N / 2) console.log(`  ${key.padEnd(20)} ${fmt(median(v), 3).padStart(10)}${v.length < N ? `  (${v.length} of ${N})` : ''}`);
console.log(`\n  launcher, in all     ${fmt(median(totals.launcher), 3).padStart(10)}`);
console.log(`  bare node            ${fmt(median(totals.bare), 3).padStart(10)}`);
