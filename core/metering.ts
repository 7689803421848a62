import type { Redis } from 'ioredis';
import type { FunctionSpec, MeteringRecord } from './schemas/invocation.js';
import type { LogLine } from './schemas/control.js';
import type { Trigger } from './states.js';

/** Per-invocation log budget; past it, one marker line ends the logs. */
export const LOG_CAP_BYTES = 256 * 1024;
export const TRUNCATED_MARKER = '[tsfn] log output truncated';

/** Lambda bills duration rounded up to the next millisecond. */
export const billedMsOf = (durationMs: number): number => Math.max(0, Math.ceil(durationMs - 1e-9));

/** GB-seconds of configured memory over the billed duration (1 GB = 1024 MiB, as Lambda counts). */
export const gbSecondsOf = (memoryMiB: number, billedMs: number): number => (memoryMiB * billedMs) / 1024 / 1000;

/**
 * The metering stream (SPEC §4): invokers and gateways append one entry per
 * invocation attempt; the meter worker drains it into PostgreSQL. An entry holds
 * the record (`r`) and, when there are any, the invocation's log lines (`l`).
 * Cost is filled in by the meter worker from the price in force.
 */
export class MeteringStream {
  constructor(private readonly redis: Redis, readonly stream: string) {}

  /** The stream entry of a record and its logs: field names and values, for XADD. */
  static fields(record: MeteringRecord, logs: LogLine[] = []): string[] {
    const fields = ['r', JSON.stringify(record)];
    if (logs.length) {
      fields.push('l', JSON.stringify({ lines: logs, truncated: logs.some((l) => l.msg === TRUNCATED_MARKER) }));
    }
    return fields;
  }

  append(record: MeteringRecord, logs: LogLine[] = []): Promise<unknown> {
    return this.redis.xadd(this.stream, '*', ...MeteringStream.fields(record, logs));
  }

  /** A refused invocation (429) is recorded too, with nothing used and nothing billed. */
  rejected(spec: FunctionSpec, invocationId: string, trigger: Trigger, queuedAt: number, invoker = 'gateway'): Promise<unknown> {
    const at = new Date(queuedAt).toISOString();
    return this.append({
      invocationId, attempt: 1, account: spec.account, function: spec.name, version: spec.version, trigger,
      status: 'rejected', start: 'cold', queuedAt: at, startedAt: at, endedAt: at,
      queueMs: 0, initMs: 0, durationMs: 0, billedMs: 0, memoryLimitMiB: spec.memory, memoryPeakBytes: 0,
      cpuUs: 0, gbSeconds: 0, costMicros: 0, invoker,
    });
  }
}
