import type { CgroupLimits } from './cgroup.js';

/** CFS period used by both versions; quota = cpu × period. */
export const CPU_PERIOD_US = 100_000;
/** The kernel rejects quotas under 1 ms. */
const MIN_QUOTA_US = 1_000;

export function cpuQuotaUs(cpu: number): number {
  return Math.round(cpu * CPU_PERIOD_US);
}

/** Rejects limits the kernel would refuse or misread, naming the field. */
export function validateLimits(limits: CgroupLimits): void {
  const { memoryBytes, cpu, pids } = limits;
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes <= 0) throw new RangeError(`cgroup limits: memoryBytes must be a positive integer, got ${memoryBytes}`);
  if (!Number.isFinite(cpu) || cpuQuotaUs(cpu) < MIN_QUOTA_US) throw new RangeError(`cgroup limits: cpu must be at least ${MIN_QUOTA_US / CPU_PERIOD_US}, got ${cpu}`);
  if (!Number.isSafeInteger(pids) || pids <= 0) throw new RangeError(`cgroup limits: pids must be a positive integer, got ${pids}`);
}
