/**
 * npm run bench:launcher: median time to start a container, exec
 * `node --version` in it and exit, next to `node --version` run bare and to
 * `runc run` of the same root filesystem (the base layer), in one run,
 * interleaved so that machine noise hits them all alike.
 *
 *   bare      env -i /usr/bin/node --version
 *   launcher  tsfn-launcher run (all namespaces, overlay on the base layer, /proc,
 *             /dev, masks, pivot_root, caps, seccomp, cgroup join) -- /usr/bin/node --version
 *   runc      runc run of a bundle whose rootfs is the base layer (read-only), same
 *             namespaces, runc's minimal mounts and masks, no seccomp
 *   runc-same the same with what the launcher also does: /sys, /dev/shm, its masks,
 *             rlimits and seccomp filter (bench/support/runc-config.ts)
 *
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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from '../core/paths.js';
import { detectCgroups, newOwnerId } from '../invoker/cgroups/cgroup.js';
import { holdFavorDynmods } from '../invoker/cgroups/favor-dynmods.js';
import { buildBaseLayer } from '../invoker/layers/base-layer.js';
import { LayerStore } from '../invoker/layers/layer-store.js';
import { runcConfig, runcConfigSameIsolation } from './support/runc-config.js';
import { fmt, median } from './support/stats.js';

const N = Number(process.env.BENCH_N ?? 50);
const HOST_DEFAULTS = process.env.BENCH_HOST_DEFAULTS === '1';
const dataDir = process.env.TSFN_DATA_DIR ?? join(tmpdir(), 'tsfn-bench-layers');
const store = await LayerStore.open(dataDir);
const base = await buildBaseLayer(store, { shimPath: paths.shim });
const cgroups = detectCgroups({ owner: newOwnerId('inv') });
const cg = cgroups.create('bench-launcher', { memoryBytes: 256 * 1048576, cpu: 2, pids: 128 });
const bundle = mkdtempSync(join(tmpdir(), 'tsfn-bench-runc-'));
const haveRunc = !spawnSync('runc', ['--version']).error;
const dynmods = HOST_DEFAULTS ? undefined : await holdFavorDynmods(paths.launcher);
const dynmodsNote = !dynmods ? 'host defaults'
  : dynmods.state === 'held' ? 'held by the bench, as the invoker does'
  : dynmods.state === 'unneeded' ? 'not held, cgroup v2 (the host\'s mount option)'
  : `unsupported, host defaults (${dynmods.detail})`;

const cmds: Record<string, [string, string[]]> = {
  bare: ['/usr/bin/env', ['-i', '/usr/bin/node', '--version']],
  launcher: [paths.launcher, ['run', '--layer', base.path, ...cg.joinPaths.flatMap((p) => ['--cgroup', p]),
    '--env', 'PATH=/usr/bin', '--', '/usr/bin/node', '--version']],
};
const launcherB = process.env.BENCH_LAUNCHER_B;
if (launcherB) cmds['launcher-b'] = [launcherB, cmds.launcher![1]];
if (haveRunc) {
  for (const [name, config] of [['runc', runcConfig(base.path)], ['runc-same', runcConfigSameIsolation(base.path)]] as const) {
    mkdirSync(join(bundle, name));
    writeFileSync(join(bundle, name, 'config.json'), JSON.stringify(config));
    cmds[name] = ['runc', ['--root', join(bundle, 'state'), 'run', '--bundle', join(bundle, name), `bench-${name}`]];
  }
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
try {
  for (let i = 0; i < N + 3; i++) {
    for (const [name, [cmd, args]] of Object.entries(cmds)) {
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const ms = performance.now() - t0;
      if (r.status !== 0 || !/^v\d+\./.test(r.stdout.toString())) {
        throw new Error(`${name} failed (${r.status}): ${r.stderr.toString().trim()}`);
      }
      if (i >= 3) samples[name]!.push(ms);
    }
  }
} finally {
  await dynmods?.release();
  await cg.destroy();
  await cgroups.destroyAll();
  rmSync(bundle, { recursive: true, force: true });
}

const bare = median(samples.bare!);
const launcher = median(samples.launcher!);
console.log(`\nbench:launcher  (node --version, ${N} samples each, interleaved; favordynmods: ${dynmodsNote}; ${new Date().toISOString()})\n`);
for (const [name, s] of Object.entries(samples)) console.log(`${name.padEnd(10)} median ${fmt(median(s)).padStart(10)}`);
console.log(`\nlauncher overhead = ${fmt(launcher - bare)} (target <= 3 ms)`);
if (launcherB) console.log(`launcher-b overhead = ${fmt(median(samples['launcher-b']!) - bare)} (${launcherB})`);
if (haveRunc) {
  for (const name of ['runc', 'runc-same']) {
    const runc = median(samples[name]!);
    const what = name === 'runc' ? 'runc, minimal config' : 'runc, same isolation as the launcher';
    console.log(`${what}: overhead ${fmt(runc - bare)}, ${((runc - bare) / (launcher - bare)).toFixed(1)}x the launcher's (target >= 15x)`);
  }
} else {
  console.log('runc is not installed (apt-get install runc): no comparison');
}
