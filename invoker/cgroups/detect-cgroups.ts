import { readFileSync, rmdirSync } from 'node:fs';
import type { CgroupManager } from './cgroup.js';
import { CgroupError } from './cgroup-error.js';
import { errnoOf } from './cgroup-files.js';
import { TreeCgroupManager } from './cgroup-manager.js';
import { isOwnerId } from './owner-id.js';
import { V1Tree } from './v1-tree.js';
import { V2Tree } from './v2-tree.js';

export interface DetectOptions {
  /** `inv-<pid>-<rand>` or `test-<pid>-<rand>` (newOwnerId()). */
  owner: string;
  /** Where cgroups are mounted [/sys/fs/cgroup]. */
  root?: string;
  /** Where v1 hierarchies are found [/proc/self/mountinfo]. */
  mountinfo?: string;
  /** Bound on each wait for frozen, thawed, empty, removable [5000]. */
  timeoutMs?: number;
  /** Removes one cgroup directory [rmdirSync]; fake trees pass their own. */
  rmdir?: (path: string) => void;
}

/**
 * v2 when `<root>/cgroup.controllers` offers cpu, memory and pids; else v1
 * from the cgroup mounts under `root`. A hybrid host (v1 controllers plus a
 * controller-less v2 tree at `<root>/unified`) is v1.
 */
export function detectCgroups(opts: DetectOptions): CgroupManager {
  if (!isOwnerId(opts.owner)) {
    throw new CgroupError(`cgroup owner ${JSON.stringify(opts.owner)} must look like inv-<pid>-<rand> or test-<pid>-<rand>`);
  }
  const root = (opts.root ?? '/sys/fs/cgroup').replace(/(.)\/+$/, '$1');
  const hooks = { timeoutMs: opts.timeoutMs ?? 5000, rmdir: opts.rmdir ?? rmdirSync };
  const v2 = V2Tree.detect(root);
  if (typeof v2 !== 'string') return new TreeCgroupManager(v2, opts.owner, hooks);
  const mountinfoPath = opts.mountinfo ?? '/proc/self/mountinfo';
  let mountinfo: string;
  try {
    mountinfo = readFileSync(mountinfoPath, 'latin1');
  } catch (err) {
    throw new CgroupError(`read ${mountinfoPath}: ${errnoOf(err) ?? String(err)}`, { code: errnoOf(err), cause: err });
  }
  const v1 = V1Tree.detect(root, mountinfo, mountinfoPath);
  if (typeof v1 !== 'string') return new TreeCgroupManager(v1, opts.owner, hooks);
  throw new CgroupError(`no usable cgroups: v2: ${v2}; v1: ${v1}`);
}
