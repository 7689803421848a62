import { join } from 'node:path';
import type { CgroupLimits, CgroupUsage } from './cgroup.js';
import { BaseCgroup, type CgroupHooks, type FreezerState } from './base-cgroup.js';
import { keyedValue, readNumber, readText, waitFor, writeText } from './cgroup-files.js';
import { CPU_PERIOD_US, cpuQuotaUs, validateLimits } from './cgroup-limits.js';
import { HeldFile } from './held-file.js';

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** This cgroup's directory in each controller's hierarchy (cpu and cpuacct may share one). */
export type V1Dirs = Record<V1Controller, string>;

export interface V1Features {
  /** memory.memsw.* exist only with swap accounting on. */
  memsw: boolean;
}

const FREEZER_STATE: Record<FreezerState, string> = { frozen: 'FROZEN', thawed: 'THAWED' };

/** A cgroup on v1: one directory per controller hierarchy. */
export class V1Cgroup extends BaseCgroup {
  private readonly files;
  private readonly cpuUsage: HeldFile;
  private readonly maxUsage: HeldFile;

  constructor(name: string, dirs: V1Dirs, private readonly features: V1Features, hooks: CgroupHooks) {
    super(name, V1_CONTROLLERS.map((c) => dirs[c]), hooks);
    this.files = {
      period: join(dirs.cpu, 'cpu.cfs_period_us'),
      quota: join(dirs.cpu, 'cpu.cfs_quota_us'),
      limit: join(dirs.memory, 'memory.limit_in_bytes'),
      memswLimit: join(dirs.memory, 'memory.memsw.limit_in_bytes'),
      swappiness: join(dirs.memory, 'memory.swappiness'),
      usage: join(dirs.memory, 'memory.usage_in_bytes'),
      oomControl: join(dirs.memory, 'memory.oom_control'),
      pidsMax: join(dirs.pids, 'pids.max'),
      freezerState: join(dirs.freezer, 'freezer.state'),
    };
    this.cpuUsage = new HeldFile(join(dirs.cpuacct, 'cpuacct.usage'));
    this.maxUsage = new HeldFile(join(dirs.memory, 'memory.max_usage_in_bytes'), 'r+');
  }

  setLimits(limits: CgroupLimits): void {
    validateLimits(limits);
    writeText(this.files.period, CPU_PERIOD_US);
    writeText(this.files.quota, cpuQuotaUs(limits.cpu));
    this.setMemoryLimit(limits.memoryBytes);
    writeText(this.files.swappiness, 0);
    writeText(this.files.pidsMax, limits.pids);
  }

  /** cpuacct.usage counts nanoseconds. */
  cpuUsageUs(): number {
    return Math.floor(this.cpuUsage.readNumber() / 1000);
  }

  memoryPeakBytes(): number {
    return this.maxUsage.readNumber();
  }

  /** Writing 0 sets the watermark to the current usage. */
  resetPeak(): void {
    this.maxUsage.write('0');
  }

  usage(): CgroupUsage {
    return {
      cpuUs: this.cpuUsageUs(),
      memoryPeakBytes: this.memoryPeakBytes(),
      memoryCurrentBytes: readNumber(this.files.usage),
      oomKills: oomKills(readText(this.files.oomControl)),
    };
  }

  /** The state file reads FREEZING until every task has stopped. */
  protected async setFreezer(state: FreezerState, timeoutMs: number): Promise<void> {
    const want = FREEZER_STATE[state];
    writeText(this.files.freezerState, want);
    let seen = '';
    await waitFor(
      () => (seen = readText(this.files.freezerState).trim()) === want,
      timeoutMs,
      () => `${this.files.freezerState} still reads ${seen}, not ${want}, after ${timeoutMs} ms`,
    );
  }

  protected killRound(): Promise<void> {
    return this.freezeAndSignal();
  }

  protected override release(): void {
    this.cpuUsage.close();
    this.maxUsage.close();
  }

  /**
   * The swap+memory limit must never sit below the memory limit: lowering goes
   * memory first, raising goes memsw first, and a fresh cgroup (both
   * unlimited) takes memory first. Equal values mean no swap.
   */
  private setMemoryLimit(bytes: number): void {
    try {
      writeText(this.files.limit, bytes);
    } catch (err) {
      if (!this.features.memsw || (err as { code?: string }).code !== 'EINVAL') throw err;
      writeText(this.files.memswLimit, bytes);
      writeText(this.files.limit, bytes);
      return;
    }
    if (this.features.memsw) writeText(this.files.memswLimit, bytes);
  }
}

/** memory.oom_control has had an `oom_kill` line since Linux 4.13; older kernels do not count. */
export function oomKills(oomControl: string): number {
  return keyedValue(oomControl, 'oom_kill') ?? 0;
}
