import { join } from 'node:path';
import type { CgroupLimits, CgroupUsage } from './cgroup.js';
import { BaseCgroup, type CgroupHooks, type FreezerState } from './base-cgroup.js';
import { CgroupError } from './cgroup-error.js';
import { keyedValue, readNumber, readText, requireKeyed, waitFor, writeText } from './cgroup-files.js';
import { CPU_PERIOD_US, cpuQuotaUs, validateLimits } from './cgroup-limits.js';
import { HeldFile } from './held-file.js';
import { MemoryPeak, type PeakMode } from './memory-peak.js';

export interface V2Features {
  /** memory.swap.max exists only with swap accounting on. */
  swapMax: boolean;
  /** cgroup.kill: Linux >= 5.14. */
  kill: boolean;
  peak: PeakMode;
}

const FROZEN_FLAG: Record<FreezerState, number> = { frozen: 1, thawed: 0 };

/** A cgroup on v2: one directory in the unified hierarchy. */
export class V2Cgroup extends BaseCgroup {
  private readonly files;
  private readonly peak: MemoryPeak;
  private readonly cpuStat: HeldFile;

  constructor(name: string, dir: string, private readonly features: V2Features, hooks: CgroupHooks) {
    super(name, [dir], hooks);
    this.files = {
      cpuMax: join(dir, 'cpu.max'),
      memoryMax: join(dir, 'memory.max'),
      swapMax: join(dir, 'memory.swap.max'),
      oomGroup: join(dir, 'memory.oom.group'),
      current: join(dir, 'memory.current'),
      events: join(dir, 'memory.events'),
      pidsMax: join(dir, 'pids.max'),
      freeze: join(dir, 'cgroup.freeze'),
      cgroupEvents: join(dir, 'cgroup.events'),
      kill: join(dir, 'cgroup.kill'),
    };
    this.peak = new MemoryPeak(dir, features.peak);
    this.cpuStat = new HeldFile(join(dir, 'cpu.stat'));
  }

  /** oom.group: an OOM kills the whole container, never leaves it half alive. */
  setLimits(limits: CgroupLimits): void {
    validateLimits(limits);
    writeText(this.files.cpuMax, `${cpuQuotaUs(limits.cpu)} ${CPU_PERIOD_US}`);
    writeText(this.files.memoryMax, limits.memoryBytes);
    if (this.features.swapMax) writeText(this.files.swapMax, 0);
    writeText(this.files.oomGroup, 1);
    writeText(this.files.pidsMax, limits.pids);
  }

  cpuUsageUs(): number {
    const usec = keyedValue(this.cpuStat.read(), 'usage_usec');
    if (usec === undefined || !Number.isFinite(usec)) throw new CgroupError(`read ${this.cpuStat.path}: no "usage_usec" line`);
    return usec;
  }

  memoryPeakBytes(): number {
    return this.peak.read();
  }

  resetPeak(): void {
    this.peak.reset();
  }

  usage(): CgroupUsage {
    return {
      cpuUs: this.cpuUsageUs(),
      memoryPeakBytes: this.memoryPeakBytes(),
      memoryCurrentBytes: readNumber(this.files.current),
      oomKills: requireKeyed(this.files.events, 'oom_kill'),
    };
  }

  /** cgroup.events says `frozen 1` once every task has stopped. */
  protected async setFreezer(state: FreezerState, timeoutMs: number): Promise<void> {
    const want = FROZEN_FLAG[state];
    writeText(this.files.freeze, want);
    await waitFor(
      () => keyedValue(readText(this.files.cgroupEvents), 'frozen') === want,
      timeoutMs,
      () => `${this.files.cgroupEvents} still lacks "frozen ${want}" after ${timeoutMs} ms`,
    );
  }

  /** cgroup.kill ends every task at once, forks in flight included. */
  protected killRound(): Promise<void> {
    if (!this.features.kill) return this.freezeAndSignal();
    writeText(this.files.kill, 1);
    return Promise.resolve();
  }

  protected override release(): void {
    this.peak.close();
    this.cpuStat.close();
  }
}
