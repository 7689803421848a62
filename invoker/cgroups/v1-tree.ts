import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupHooks } from './base-cgroup.js';
import type { CgroupTree } from './cgroup-manager.js';
import { TSFN_DIR } from './cgroup-manager.js';
import { ensureDir } from './cgroup-files.js';
import { parseMountinfo } from './mountinfo.js';
import { V1_CONTROLLERS, V1Cgroup, type V1Controller, type V1Dirs, type V1Features } from './v1-cgroup.js';

/** The v1 hierarchies tsfn uses, each its own mount or sharing one (`cpu,cpuacct`). */
export class V1Tree implements CgroupTree {
  readonly version = 1;
  readonly roots: readonly string[];
  private readonly features: V1Features;

  constructor(private readonly mounts: Record<V1Controller, string>) {
    this.roots = [...new Set(V1_CONTROLLERS.map((c) => mounts[c]))];
    this.features = { memsw: existsSync(join(mounts.memory, 'memory.memsw.limit_in_bytes')) };
  }

  /** The tree, or why there is none: a controller with no hierarchy mounted under `root`. */
  static detect(root: string, mountinfo: string, mountinfoPath: string): V1Tree | string {
    const under = (p: string) => p === root || p.startsWith(`${root}/`);
    const mounts = parseMountinfo(mountinfo).filter((m) => m.fsType === 'cgroup' && under(m.mountPoint));
    const found: Partial<Record<V1Controller, string>> = {};
    const missing: string[] = [];
    for (const c of V1_CONTROLLERS) {
      const mount = mounts.find((m) => m.controllers.includes(c));
      if (mount) found[c] = mount.mountPoint;
      else missing.push(c);
    }
    if (missing.length) return `no hierarchy with the ${missing.join(', ')} controller${missing.length > 1 ? 's' : ''} mounted under ${root} (per ${mountinfoPath})`;
    return new V1Tree(found as Record<V1Controller, string>);
  }

  prepare(owner: string): void {
    for (const root of this.roots) {
      ensureDir(join(root, TSFN_DIR));
      ensureDir(join(root, TSFN_DIR, owner));
    }
  }

  open(name: string, rel: string, hooks: CgroupHooks): V1Cgroup {
    const dirs = Object.fromEntries(V1_CONTROLLERS.map((c) => [c, join(this.mounts[c], rel)])) as V1Dirs;
    return new V1Cgroup(name, dirs, this.features, hooks);
  }
}
