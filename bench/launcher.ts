/**
 * npm run bench:launcher: median time to start a container, exec
 * `node --version` in it and exit, next to `node --version` run bare and to
 * `runc run` of the same root filesystem (the base layer), in one run,
 * interleaved so that machine noise hits them all alike.
 *
 *   bare             /usr/bin/node --version, spawned directly with the launcher's
 *                    environment (PATH=/usr/bin); no `env -i` in front, whose own exec
 *                    would count as the launcher's overhead
 *   launcher         tsfn-launcher run (all namespaces, overlay on the base layer, /proc,
 *                    /dev, masks, pivot_root, caps, seccomp, cgroup join) -- /usr/bin/node
 *                    --version, joining a fresh network namespace made before the clock
 *                    starts (--netns-fd), as the invoker's spawn server gives one
 *   launcher-own     the same, making its own network namespace, as `tsfn run` does
 *   runc             runc run of a bundle whose rootfs is the base layer (read-only), same
 *                    namespaces, runc's minimal mounts and masks, no seccomp
 *   runc-same        the same with what the launcher also does: /sys, /dev/shm, its masks,
 *                    rlimits and seccomp filter (bench/support/runc-config.ts)
 *   runc-same-ahead  runc-same joining a fresh network namespace made ahead (its path
 *                    in config.json), as `launcher` does
 *
 * Each runc is compared with the launcher that gets its network namespace the same way.
 * The bench holds the kernel's cgroup favordynmods mode as the invoker does
 * (invoker/cgroups/favor-dynmods.ts): without it, on cgroup v1, joining the
 * cgroups waits for an RCU grace period (about 10 ms) on every start.
 * BENCH_HOST_DEFAULTS=1 leaves the host as it is instead; on a kernel that
 * keeps the mode on once it has been used (6.18 here, native/README.md) that
 * is the default only until tsfn first ran.
 *
 * Environment: BENCH_N (samples per command, 50), BENCH_HOST_DEFAULTS (0),
 * BENCH_LAUNCHER_B (another tsfn-launcher binary, run as `launcher-b` beside
 * the built one: an A/B of a change to native/ in one run).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from '../core/paths.js';
import { openFreshNetns } from '../invoker/container/netns-hold.js';
import { openContainerBench } from './support/container-bench.js';
import { runcConfig, runcConfigSameIsolation } from './support/runc-config.js';
import { fmt, median } from './support/stats.js';

const N = Number(process.env.BENCH_N ?? 50);
const HOST_DEFAULTS = process.env.BENCH_HOST_DEFAULTS === '1';
const bench = await openContainerBench('bench-launcher', HOST_DEFAULTS);
const bundle = mkdtempSync(join(tmpdir(), 'tsfn-bench-runc-'));
const haveRunc = !spawnSync('runc', ['--version']).error;

/** How a command gets its network namespace: its own, or a fresh one made ahead and given as fd 3. */
type Netns = 'own' | 'ahead';
interface Command {
  cmd: string; args: (netnsPath: string) => string[]; netns: Netns;
  prepare?: (netnsPath: string) => void; env?: NodeJS.ProcessEnv;
}

const launcherArgs = bench.nodeVersionArgs;
const cmds: Record<string, Command> = {
  bare: { cmd: '/usr/bin/node', args: () => ['--version'], netns: 'own', env: { PATH: '/usr/bin' } },
  launcher: { cmd: paths.launcher, args: () => launcherArgs(['--netns-fd', '3']), netns: 'ahead' },
  'launcher-own': { cmd: paths.launcher, args: () => launcherArgs([]), netns: 'own' },
};
const launcherB = process.env.BENCH_LAUNCHER_B;
if (launcherB) cmds['launcher-b'] = { ...cmds.launcher!, cmd: launcherB };
if (haveRunc) {
  const variants = [
    ['runc', runcConfig(bench.basePath), 'own'],
    ['runc-same', runcConfigSameIsolation(bench.basePath), 'own'],
    ['runc-same-ahead', runcConfigSameIsolation(bench.basePath), 'ahead'],
  ] as const;
  for (const [name, config, netns] of variants) {
    const dir = join(bundle, name);
    mkdirSync(dir);
    const write = (netnsPath: string) => writeFileSync(join(dir, 'config.json'), JSON.stringify(netns === 'own' ? config
      : { ...config, linux: { ...config.linux, namespaces: config.linux.namespaces.map((n) => n.type === 'network' ? { ...n, path: netnsPath } : n) } }));
    write('');
    cmds[name] = {
      cmd: 'runc', args: () => ['--root', join(bundle, 'state'), 'run', '--bundle', dir, `bench-${name}`], netns,
      prepare: netns === 'ahead' ? write : undefined,
    };
  }
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
try {
  for (let i = 0; i < N + 3; i++) {
    for (const [name, { cmd, args, netns, prepare, env }] of Object.entries(cmds)) {
      // Made before the clock starts, as the spawn server makes its spares while idle.
      const fd = netns === 'ahead' ? await openFreshNetns(paths.launcher) : -1;
      try {
        const netnsPath = `/proc/${process.pid}/fd/${fd}`;
        prepare?.(netnsPath);
        const stdio = fd >= 0 ? ['ignore', 'pipe', 'pipe', fd] as const : ['ignore', 'pipe', 'pipe'] as const;
        const t0 = performance.now();
        const r = spawnSync(cmd, args(netnsPath), { stdio: [...stdio], env: env ?? process.env });
        const ms = performance.now() - t0;
        if (r.status !== 0 || !/^v\d+\./.test(r.stdout.toString())) {
          throw new Error(`${name} failed (${r.status}): ${r.stderr.toString().trim()}`);
        }
        if (i >= 3) samples[name]!.push(ms);
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    }
  }
} finally {
  await bench.close();
  rmSync(bundle, { recursive: true, force: true });
}

const overhead = (name: string) => median(samples[name]!) - median(samples.bare!);
/** A ratio to an overhead at or below zero means nothing: the launcher's cost is lost in the noise. */
const ratio = (runc: string, launcher: string) => `${fmt(overhead(runc))}, ${overhead(launcher) > 0
  ? `${(overhead(runc) / overhead(launcher)).toFixed(1)}x the launcher's` : 'the launcher\'s is at or below zero (noise): no ratio'}`;
console.log(`\nbench:launcher  (node --version, ${N} samples each, interleaved; favordynmods: ${bench.dynmodsNote}; ${new Date().toISOString()})\n`);
for (const [name, s] of Object.entries(samples)) console.log(`${name.padEnd(16)} median ${fmt(median(s)).padStart(10)}`);
console.log(`\nlauncher overhead = ${fmt(overhead('launcher'))} (target <= 3 ms), network namespace made ahead, as the invoker's spawn server gives it`);
console.log(`launcher overhead, own network namespace (as tsfn run) = ${fmt(overhead('launcher-own'))}`);
if (launcherB) console.log(`launcher-b overhead = ${fmt(overhead('launcher-b'))} (${launcherB})`);
if (haveRunc) {
  console.log('runc overhead, like for like (target >= 15x):');
  console.log(`  runc, minimal config, own netns:             ${ratio('runc', 'launcher-own')} (own netns)`);
  console.log(`  runc, same isolation, own netns:             ${ratio('runc-same', 'launcher-own')} (own netns)`);
  console.log(`  runc, same isolation, netns made ahead:      ${ratio('runc-same-ahead', 'launcher')} (netns made ahead)`);
} else {
  console.log('runc is not installed (apt-get install runc): no comparison');
}
