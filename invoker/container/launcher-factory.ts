import { shortId } from '../../core/ids.js';
import type { Cgroup, CgroupLimits, CgroupManager } from '../cgroups/cgroup.js';
import type { Container, ContainerFactory, ContainerSpec } from './container.js';
import { AttachServer } from './attach-server.js';
import { LauncherContainer, type LaunchConfig } from './launcher-container.js';
import { PayloadUids } from './payload-ids.js';
import { SpawnServer } from './spawn-server.js';
import { UidLeases } from './uid-leases.js';

/** Host-wide payload uid leases, shared by every factory of the process. */
const leases = new UidLeases();

/** Limits of a spare cgroup until a container takes it (nothing runs in it before). */
const SPARE_LIMITS: CgroupLimits = { memoryBytes: 64 * 1048576, cpu: 0.1, pids: 16 };
/** How long after a container start its spare cgroup is made: not while the container boots. */
const SPARE_DELAY_MS = 100;

/**
 * Makes real containers: a cgroup from the manager, a payload uid of the
 * container's own (payload-ids.ts), then the launcher. One
 * cgroup is kept made ahead, so that a cold start only sets its limits
 * (making one, directories in five v1 hierarchies, is about 0.5 ms).
 */
export class LauncherFactory implements ContainerFactory {
  private readonly live = new Set<Container>();
  private readonly attacher: AttachServer;
  private spawner: Promise<SpawnServer> | undefined;
  private spare: Cgroup | undefined;
  private spareTimer: NodeJS.Timeout | undefined;
  private readonly uids = new PayloadUids(leases);

  constructor(private readonly cgroups: CgroupManager, private readonly config: LaunchConfig) {
    this.attacher = new AttachServer(config.launcher);
    leases.sweep();
  }

  async create(spec: ContainerSpec): Promise<Container> {
    const cgroup = this.cgroup(spec.id, {
      memoryBytes: spec.limits.memoryMiB * 1048576, cpu: spec.limits.cpu, pids: spec.limits.pids,
    });
    const uid = this.uids.take();
    let container: Container;
    try {
      container = await LauncherContainer.start(spec, cgroup, this.config, await this.spawnServer(), this.attacher, uid);
    } catch (err) {
      await cgroup.destroy();
      this.uids.release(uid);
      throw err;
    }
    this.live.add(container);
    // The launcher exits after its init, and init after every process of the
    // container's pid namespace: nothing runs as the uid any more.
    const gone = () => {
      this.live.delete(container);
      this.uids.release(uid);
    };
    container.exited.then(gone, gone);
    return container;
  }

  /** The spare cgroup with these limits, else a new one; a new spare is made a little later. */
  private cgroup(id: string, limits: CgroupLimits): Cgroup {
    const spare = this.spare;
    this.spare = undefined;
    this.makeSpareLater();
    if (spare) {
      try {
        spare.setLimits(limits);
        return spare;
      } catch {
        void spare.destroy().catch(() => {});
      }
    }
    return this.cgroups.create(id, limits);
  }

  private makeSpareLater() {
    if (this.spareTimer) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined;
      if (this.spare) return;
      try {
        this.spare = this.cgroups.create(`spare-${shortId()}`, SPARE_LIMITS);
      } catch {
        // No spare: the next start makes its own cgroup, and reports why if it cannot.
      }
    }, SPARE_DELAY_MS);
    this.spareTimer.unref();
  }

  /** The spawn server, started on first use and again if it died. */
  private async spawnServer(): Promise<SpawnServer> {
    const pending = (this.spawner ??= SpawnServer.start(this.config.launcher, this.config.runDir));
    const server = await pending.catch(() => undefined);
    if (server?.alive) return server;
    server?.close();
    if (this.spawner === pending) this.spawner = SpawnServer.start(this.config.launcher, this.config.runDir);
    return this.spawner;
  }

  cleanup(): Promise<string[]> {
    return this.cgroups.reapLeftovers();
  }

  async destroyAll(): Promise<void> {
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    this.spare = undefined; // The manager's destroyAll removes it with the others.
    await Promise.all([...this.live].map((c) => c.destroy()));
    await this.cgroups.destroyAll();
    this.attacher.close();
    (await this.spawner?.catch(() => undefined))?.close();
    this.spawner = undefined;
  }
}
