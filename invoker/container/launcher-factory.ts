import type { CgroupManager } from '../cgroups/cgroup.js';
import type { Container, ContainerFactory, ContainerSpec } from './container.js';
import { AttachServer } from './attach-server.js';
import { LauncherContainer, type LaunchConfig } from './launcher-container.js';

/** Makes real containers: a cgroup from the manager, then the launcher. */
export class LauncherFactory implements ContainerFactory {
  private readonly live = new Set<Container>();
  private readonly attacher: AttachServer;

  constructor(private readonly cgroups: CgroupManager, private readonly config: LaunchConfig) {
    this.attacher = new AttachServer(config.launcher);
  }

  async create(spec: ContainerSpec): Promise<Container> {
    const cgroup = this.cgroups.create(spec.id, {
      memoryBytes: spec.limits.memoryMiB * 1048576, cpu: spec.limits.cpu, pids: spec.limits.pids,
    });
    let container: Container;
    try {
      container = await LauncherContainer.start(spec, cgroup, this.config, this.attacher);
    } catch (err) {
      await cgroup.destroy();
      throw err;
    }
    this.live.add(container);
    container.exited.then(() => this.live.delete(container), () => {});
    return container;
  }

  cleanup(): Promise<string[]> {
    return this.cgroups.reapLeftovers();
  }

  async destroyAll(): Promise<void> {
    await Promise.all([...this.live].map((c) => c.destroy()));
    await this.cgroups.destroyAll();
    this.attacher.close();
  }
}
