import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupHooks } from './base-cgroup.js';
import { CgroupError } from './cgroup-error.js';
import type { CgroupTree } from './cgroup-manager.js';
import { TSFN_DIR } from './cgroup-manager.js';
import { ensureDir, writeText } from './cgroup-files.js';
import { probePeakMode } from './memory-peak.js';
import { V2Cgroup, type V2Features } from './v2-cgroup.js';

export const V2_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

/** The unified hierarchy mounted at `root`. */
export class V2Tree implements CgroupTree {
  readonly version = 2;
  readonly roots: readonly string[];
  private features: V2Features | undefined;

  constructor(private readonly root: string) {
    this.roots = [root];
  }

  /** The tree, or why there is none: no cgroup2 at `root`, or a needed controller not offered. */
  static detect(root: string): V2Tree | string {
    const path = join(root, 'cgroup.controllers');
    let offered: string;
    try {
      offered = readFileSync(path, 'latin1').trim();
    } catch {
      return `${path} does not exist (no cgroup2 mounted at ${root})`;
    }
    const have = new Set(offered.split(/\s+/));
    const missing = V2_CONTROLLERS.filter((c) => !have.has(c));
    if (missing.length) return `${path} lists "${offered}", missing ${missing.join(', ')}`;
    return new V2Tree(root);
  }

  /**
   * Each level must delegate cpu, memory and pids to the next. A cgroup with
   * processes of its own cannot delegate (EBUSY), which is why tsfn keeps its
   * own subtree and never puts a process in `tsfn` or `tsfn/<owner>`.
   */
  prepare(owner: string): void {
    let dir = this.root;
    for (const part of [TSFN_DIR, owner]) {
      this.delegate(dir);
      dir = join(dir, part);
      ensureDir(dir);
    }
    this.delegate(dir);
  }

  open(name: string, rel: string, hooks: CgroupHooks): V2Cgroup {
    return new V2Cgroup(name, join(this.root, rel), this.probe(), hooks);
  }

  /** Probed once, on `tsfn` (the root cgroup lacks the memory.* files). */
  private probe(): V2Features {
    if (!this.features) {
      const parent = join(this.root, TSFN_DIR);
      this.features = {
        swapMax: existsSync(join(parent, 'memory.swap.max')),
        kill: existsSync(join(parent, 'cgroup.kill')),
        peak: probePeakMode(parent),
      };
    }
    return this.features;
  }

  private delegate(dir: string): void {
    const path = join(dir, 'cgroup.subtree_control');
    try {
      writeText(path, V2_CONTROLLERS.map((c) => `+${c}`).join(' '));
    } catch (err) {
      if (!(err instanceof CgroupError) || err.code !== 'EBUSY') throw err;
      throw new CgroupError(`${err.message} (${dir} holds processes, so it cannot delegate controllers; move them to a leaf cgroup)`, { code: 'EBUSY', cause: err });
    }
  }
}
