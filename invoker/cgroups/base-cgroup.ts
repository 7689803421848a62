import type { Cgroup, CgroupLimits, CgroupUsage } from './cgroup.js';
import { CgroupError } from './cgroup-error.js';
import { pollUntil, readPids, removeDir, signalAll } from './cgroup-files.js';

/** What a cgroup handle needs from its manager. */
export interface CgroupHooks {
  /** Bound on every wait: frozen, thawed, empty, removable. */
  timeoutMs: number;
  /** rmdir(2); fake trees (unit tests) pass one that also drops the plain files a real cgroupfs would not hold. */
  rmdir: (path: string) => void;
  onDestroyed: (cgroup: Cgroup) => void;
}

export type FreezerState = 'frozen' | 'thawed';

/** How long one kill round may take before the next one goes out. */
const KILL_ROUND_MS = 250;

/**
 * What both versions share: process listing, the kill loop and teardown.
 * Subclasses say how to freeze, how one kill round goes, and what the files are.
 */
export abstract class BaseCgroup implements Cgroup {
  readonly joinPaths: readonly string[];
  private readonly procsFiles: readonly string[];
  private teardown: Promise<void> | undefined;

  constructor(readonly name: string, joinPaths: readonly string[], protected readonly hooks: CgroupHooks) {
    this.joinPaths = [...new Set(joinPaths)];
    this.procsFiles = this.joinPaths.map((dir) => `${dir}/cgroup.procs`);
  }

  abstract setLimits(limits: CgroupLimits): void;
  abstract cpuUsageUs(): number;
  abstract memoryPeakBytes(): number;
  abstract resetPeak(): void;
  abstract usage(): CgroupUsage;
  protected abstract setFreezer(state: FreezerState, timeoutMs: number): Promise<void>;
  /** One attempt to end every process inside; repeated while any remain. */
  protected abstract killRound(): Promise<void>;
  /** Releases what the handle holds open. */
  protected release(): void {}

  freeze(): Promise<void> {
    return this.setFreezer('frozen', this.hooks.timeoutMs);
  }

  thaw(): Promise<void> {
    return this.setFreezer('thawed', this.hooks.timeoutMs);
  }

  /** v1 lists a process once per hierarchy it joined; a half-joined one still counts. */
  pids(): number[] {
    if (this.procsFiles.length === 1) return readPids(this.procsFiles[0]!);
    const all = new Set<number>();
    for (const file of this.procsFiles) for (const pid of readPids(file)) all.add(pid);
    return [...all].sort((a, b) => a - b);
  }

  async kill(): Promise<void> {
    if (this.pids().length === 0) return;
    const deadline = Date.now() + this.hooks.timeoutMs;
    for (;;) {
      await this.killRound();
      const round = Math.min(KILL_ROUND_MS, deadline - Date.now());
      if (await pollUntil(() => this.pids().length === 0, Math.max(round, 0))) return;
      if (Date.now() >= deadline) {
        throw new CgroupError(
          `kill cgroup ${this.name}: processes ${this.pids().join(' ')} still inside ${this.joinPaths.join(', ')} after ${this.hooks.timeoutMs} ms`,
          { code: 'ETIMEDOUT' },
        );
      }
    }
  }

  destroy(): Promise<void> {
    this.teardown ??= this.tearDown().catch((err: unknown) => {
      this.teardown = undefined;
      throw err;
    });
    return this.teardown;
  }

  /**
   * Freezes so no process can fork or exit while its pid is read and signalled
   * (no pid reuse race), SIGKILLs them (delivered on thaw), thaws. A task stuck
   * in uninterruptible sleep can hold the freezer short of frozen, or the
   * freezer may already be gone (a half-made leftover): the signals go out
   * anyway and the next round catches whatever forked meanwhile.
   */
  protected async freezeAndSignal(): Promise<void> {
    const frozen = await this.setFreezer('frozen', KILL_ROUND_MS).then(() => true, () => false);
    signalAll(this.pids(), 'SIGKILL');
    await this.setFreezer('thawed', this.hooks.timeoutMs).catch((err: unknown) => {
      if (frozen) throw err;
    });
  }

  private async tearDown(): Promise<void> {
    await this.kill();
    this.release();
    for (const dir of this.joinPaths) await removeDir(dir, this.hooks.rmdir, this.hooks.timeoutMs);
    this.hooks.onDestroyed(this);
  }
}
