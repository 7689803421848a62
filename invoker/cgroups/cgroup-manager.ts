import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Cgroup, CgroupLimits, CgroupManager } from './cgroup.js';
import { CgroupError } from './cgroup-error.js';
import type { BaseCgroup, CgroupHooks } from './base-cgroup.js';
import { errnoOf, makeDir, removeDir } from './cgroup-files.js';
import { validateLimits } from './cgroup-limits.js';
import { ownerState } from './owner-id.js';

export const TSFN_DIR = 'tsfn';
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** What differs between v1 and v2 when making and opening cgroups. */
export interface CgroupTree {
  readonly version: 1 | 2;
  /** The hierarchy roots that hold `tsfn/` (v1: one per mount used; v2: the root). */
  readonly roots: readonly string[];
  /** Makes `tsfn/<owner>` exist and able to hold limited children. */
  prepare(owner: string): void;
  /** A handle on the cgroup at `rel` below each root, existing or just made. */
  open(name: string, rel: string, hooks: CgroupHooks): BaseCgroup;
}

type ParentsState = 'absent' | 'ready';

/** Creates, reaps and destroys cgroups of one owner under `<root>/tsfn/<owner>`. */
export class TreeCgroupManager implements CgroupManager {
  private readonly live = new Map<string, BaseCgroup>();
  private parents: ParentsState = 'absent';
  private readonly hooks: CgroupHooks;

  constructor(private readonly tree: CgroupTree, private readonly owner: string, hooks: Omit<CgroupHooks, 'onDestroyed'>) {
    this.hooks = { ...hooks, onDestroyed: (cg) => this.forget(cg) };
  }

  get version(): 1 | 2 {
    return this.tree.version;
  }

  create(name: string, limits: CgroupLimits): Cgroup {
    if (!NAME.test(name)) throw new CgroupError(`cgroup name ${JSON.stringify(name)} must match ${NAME}`);
    if (this.live.has(name)) throw new CgroupError(`cgroup ${name} already exists for owner ${this.owner}`, { code: 'EEXIST' });
    validateLimits(limits);
    if (this.parents === 'absent') {
      this.tree.prepare(this.owner);
      this.parents = 'ready';
    }
    const rel = join(TSFN_DIR, this.owner, name);
    const made: string[] = [];
    try {
      for (const root of this.tree.roots) {
        const dir = join(root, rel);
        makeDir(dir);
        made.push(dir);
      }
    } catch (err) {
      this.removeEmpty(made);
      throw err;
    }
    const cgroup = this.tree.open(name, rel, this.hooks);
    this.live.set(name, cgroup);
    try {
      cgroup.setLimits(limits);
    } catch (err) {
      if (this.removeEmpty(cgroup.joinPaths)) this.live.delete(name);
      throw err;
    }
    return cgroup;
  }

  /** One stubborn tree (a task stuck in the kernel) does not stop the others; failures are thrown together at the end. */
  async reapLeftovers(): Promise<string[]> {
    const removed: string[] = [];
    const failed: unknown[] = [];
    for (const owner of this.ownersOnDisk()) {
      if (owner === this.owner || ownerState(owner) !== 'dead') continue;
      const ownerRel = join(TSFN_DIR, owner);
      const present = this.tree.roots.filter((root) => listDirs(join(root, ownerRel)) !== undefined);
      try {
        for (const rel of this.subtreeBottomUp(ownerRel)) {
          await this.tree.open(rel.slice(rel.lastIndexOf('/') + 1), rel, this.hooks).destroy();
        }
        removed.push(...present.map((root) => join(root, ownerRel)));
      } catch (err) {
        failed.push(err);
      }
    }
    if (failed.length) throw new AggregateError(failed, `reap cgroup leftovers: ${failed.length} dead owner tree(s) not removed (${removed.length} dirs removed)`);
    return removed;
  }

  async destroyAll(): Promise<void> {
    const results = await Promise.allSettled([...this.live.values()].map((cg) => cg.destroy()));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failed.length) throw new AggregateError(failed, `destroy cgroups of ${this.owner}: ${failed.length} failed`);
    for (const root of this.tree.roots) await removeDir(join(root, TSFN_DIR, this.owner), this.hooks.rmdir, this.hooks.timeoutMs);
    this.parents = 'absent';
  }

  private forget(cgroup: Cgroup): void {
    if (this.live.get(cgroup.name) === cgroup) this.live.delete(cgroup.name);
  }

  private ownersOnDisk(): Set<string> {
    const owners = new Set<string>();
    for (const root of this.tree.roots) for (const owner of listDirs(join(root, TSFN_DIR)) ?? []) owners.add(owner);
    return owners;
  }

  /** Every cgroup below and including `rel` in any root, deepest first. */
  private subtreeBottomUp(rel: string): string[] {
    const found = new Set<string>();
    const walk = (root: string, at: string): void => {
      for (const child of listDirs(join(root, at)) ?? []) walk(root, join(at, child));
      found.add(at);
    };
    for (const root of this.tree.roots) if (listDirs(join(root, rel)) !== undefined) walk(root, rel);
    return [...found].sort((a, b) => b.split('/').length - a.split('/').length);
  }

  /** Best-effort rmdir of directories no process has joined yet; says whether all went. */
  private removeEmpty(dirs: readonly string[]): boolean {
    let all = true;
    for (const dir of dirs) {
      try {
        this.hooks.rmdir(dir);
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') all = false;
      }
    }
    return all;
  }
}

/** Child directories, or undefined when `dir` does not exist. */
function listDirs(dir: string): string[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
    throw new CgroupError(`list ${dir}: ${errnoOf(err) ?? String(err)}`, { code: errnoOf(err), cause: err });
  }
}
