import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import { shortId } from '../../core/ids.js';
import { paths } from '../../core/paths.js';
import { detectCgroups, newOwnerId } from '../cgroups/cgroup.js';
import { buildBaseLayer } from '../layers/base-layer.js';
import { LayerStore } from '../layers/layer-store.js';
import { SHIM_ENV } from '../runtime/shim-command.js';
import { DEFAULT_PIDS, tmpBytes } from './container.js';
import { launcherArgs, type LaunchSpec } from './launcher-args.js';
import { PayloadUids } from './payload-ids.js';
import { UidLeases } from './uid-leases.js';

export interface OneOffOptions {
  dataDir: string;
  memoryMiB: number;
  cpu: number;
  pids?: number;
  timeoutS?: number;
  mounts: LaunchSpec['binds'];
  env: Record<string, string>;
  argv: string[];
}

export const EXIT_TIMEOUT = 124;
export const EXIT_OOM = 137;

/**
 * `tsfn run`: CMD in a one-off container from the base layer, isolated exactly
 * as a function's (same launcher, same cgroup limits, a payload uid of the range),
 * with the caller's stdio. Returns CMD's exit status (128+N for signal N;
 * 137 when killed for memory, 124 on timeout) and leaves nothing behind.
 */
export async function runOneOff(o: OneOffOptions): Promise<number> {
  const store = await LayerStore.open(o.dataDir);
  const base = await buildBaseLayer(store, { shimPath: paths.shim });
  const cgroups = detectCgroups({ owner: newOwnerId('inv') });
  const cg = cgroups.create(`run-${shortId()}`, { memoryBytes: o.memoryMiB * 1048576, cpu: o.cpu, pids: o.pids ?? DEFAULT_PIDS });
  const uids = new PayloadUids(new UidLeases());
  const uid = uids.take();
  try {
    const child = spawn(paths.launcher, launcherArgs({
      layers: [base.path], upperBytes: tmpBytes(o.memoryMiB), cgroupPaths: cg.joinPaths,
      env: { ...SHIM_ENV, ...o.env }, binds: o.mounts, passFds: [], cwd: '/tmp', argv: o.argv, uid,
    }), { stdio: 'inherit', env: {} });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward);
    let timedOut = false;
    const timer = o.timeoutS ? setTimeout(() => { timedOut = true; void cg.kill(); }, o.timeoutS * 1000) : undefined;
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, forward);
    if (timedOut) return EXIT_TIMEOUT;
    if (cg.usage().oomKills > 0) return EXIT_OOM;
    return code ?? 128 + (signal ? constants.signals[signal] : 0);
  } finally {
    await cg.destroy();
    await cgroups.destroyAll();
    uids.release(uid);
  }
}
