import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from '../../core/paths.js';
import { detectCgroups, newOwnerId, type Cgroup } from '../../invoker/cgroups/cgroup.js';
import { holdFavorDynmods } from '../../invoker/cgroups/favor-dynmods.js';
import { buildBaseLayer } from '../../invoker/layers/base-layer.js';
import { LayerStore } from '../../invoker/layers/layer-store.js';

export interface ContainerBench {
  /** The base layer's directory, the containers' root filesystem. */
  basePath: string;
  /** The cgroup every container of the bench joins. */
  cg: Cgroup;
  /** How the kernel's favordynmods mode stands during the bench, in words. */
  dynmodsNote: string;
  /** Releases favordynmods and removes the bench's cgroups. */
  close(): Promise<void>;
  /** `tsfn-launcher run` arguments for `node --version` over the base layer in the bench's cgroup. */
  nodeVersionArgs(extra: string[]): string[];
}

/**
 * What bench:launcher and bench:launcher-phases start containers with: the
 * base layer (kept under TSFN_DATA_DIR, else a temporary directory), a cgroup
 * of their own, and favordynmods held as the invoker holds it (without it, on
 * cgroup v1, joining the cgroups waits for an RCU grace period on every
 * start), unless `hostDefaults`.
 */
export async function openContainerBench(name: string, hostDefaults = false): Promise<ContainerBench> {
  const store = await LayerStore.open(process.env.TSFN_DATA_DIR ?? join(tmpdir(), 'tsfn-bench-layers'));
  const base = await buildBaseLayer(store, { shimPath: paths.shim });
  const cgroups = detectCgroups({ owner: newOwnerId('inv') });
  const cg = cgroups.create(name, { memoryBytes: 256 * 1048576, cpu: 2, pids: 128 });
  const dynmods = hostDefaults ? undefined : await holdFavorDynmods(paths.launcher);
  return {
    basePath: base.path,
    cg,
    dynmodsNote: !dynmods ? 'host defaults'
      : dynmods.state === 'held' ? 'held by the bench, as the invoker does'
      : dynmods.state === 'unneeded' ? 'not held, cgroup v2 (the host\'s mount option)'
      : `unsupported, host defaults (${dynmods.detail})`,
    async close() {
      await dynmods?.release();
      await cg.destroy();
      await cgroups.destroyAll();
    },
    nodeVersionArgs: (extra) => ['run', '--layer', base.path, ...cg.joinPaths.flatMap((p) => ['--cgroup', p]),
      ...extra, '--env', 'PATH=/usr/bin', '--', '/usr/bin/node', '--version'],
  };
}
