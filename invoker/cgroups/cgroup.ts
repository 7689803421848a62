/**
 * One cgroup per container, under a `tsfn` parent, behind one interface for
 * cgroup v1 (this host) and v2 (most production hosts). See ARCHITECTURE.md,
 * Containers.
 */
export interface CgroupLimits {
  memoryBytes: number;
  /** vCPUs, e.g. 0.25. */
  cpu: number;
  pids: number;
}

export interface CgroupUsage {
  cpuUs: number;
  memoryPeakBytes: number;
  memoryCurrentBytes: number;
  oomKills: number;
}

export interface Cgroup {
  readonly name: string;
  /** Directories the launcher joins (one per v1 hierarchy used, or the single v2 dir). */
  readonly joinPaths: readonly string[];
  setLimits(limits: CgroupLimits): void;
  /** Cumulative CPU time (user+system) of everything ever run in it, microseconds. Synchronous: on the invocation hot path. */
  cpuUsageUs(): number;
  /** Peak memory since creation or the last resetPeak(). Synchronous. */
  memoryPeakBytes(): number;
  resetPeak(): void;
  usage(): CgroupUsage;
  /** Processes currently inside. */
  pids(): number[];
  /** Resolves once the kernel reports it frozen. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Kills every process inside and resolves once it is empty. */
  kill(): Promise<void>;
  /** kill() then remove the directories. Idempotent. */
  destroy(): Promise<void>;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  /** Creates `<root>/tsfn/<owner>/<name>` (v1: in each controller hierarchy it uses). */
  create(name: string, limits: CgroupLimits): Cgroup;
  /**
   * Removes what crashed earlier owners left: every `tsfn/<owner>` subtree whose
   * owner process is gone (kill processes, rmdir bottom-up). Returns the
   * `tsfn/<owner>` directories it removed.
   */
  reapLeftovers(): Promise<string[]>;
  /** Destroys every cgroup of this owner (shutdown). */
  destroyAll(): Promise<void>;
}

export { CgroupError } from './cgroup-error.js';
export { detectCgroups, type DetectOptions } from './detect-cgroups.js';
export { newOwnerId } from './owner-id.js';
