import type { CgroupManager } from '../cgroups/cgroup.js';
import type { Container, ContainerFactory, ContainerSpec } from './container.js';
import { AttachServer } from './attach-server.js';
import { LauncherContainer, type LaunchConfig } from './launcher-container.js';
import { SpawnServer } from './spawn-server.js';

/** Makes real containers: a cgroup from the manager, then the launcher. */
export class LauncherFactory implements ContainerFactory {
  private readonly live = new Set<Container>();
  private readonly attacher: AttachServer;
  private spawner: Promise<SpawnServer> | undefined;

  constructor(private readonly cgroups: CgroupManager, private readonly config: LaunchConfig) {
    this.attacher = new AttachServer(config.launcher);
  }

  async create(spec: ContainerSpec): Promise<Container> {
    const cgroup = this.cgroups.create(spec.id, {
      memoryBytes: spec.limits.memoryMiB * 1048576, cpu: spec.limits.cpu, pids: spec.limits.pids,
    });
    let container: Container;
    try {
      container = await LauncherContainer.start(spec, cgroup, this.config, await this.spawnServer(), this.attacher);
    } catch (err) {
      await cgroup.destroy();
      throw err;
    }
    this.live.add(container);
    container.exited.then(() => this.live.delete(container), () => {});
    return container;
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
    await Promise.all([...this.live].map((c) => c.destroy()));
    await this.cgroups.destroyAll();
    this.attacher.close();
    (await this.spawner?.catch(() => undefined))?.close();
    this.spawner = undefined;
  }
}
