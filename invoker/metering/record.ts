import { billedMsOf, gbSecondsOf } from '../../core/metering.js';
import type { LogLine } from '../../core/schemas/control.js';
import type { FunctionSpec, MeteringRecord } from '../../core/schemas/invocation.js';
import type { InvocationStatus, StartKind, Trigger } from '../../core/states.js';

export interface Measured {
  invocationId: string;
  attempt: number;
  spec: FunctionSpec;
  trigger: Trigger;
  status: InvocationStatus;
  start: StartKind;
  queuedAt: number;
  startedAt: number;
  endedAt: number;
  initMs: number;
  durationMs: number;
  memoryPeakBytes: number;
  cpuUs: number;
  invoker: string;
}

/** SPEC §4's record from what the invoker measured; the meter worker prices it. */
export function meteringRecord(m: Measured): MeteringRecord {
  const billedMs = billedMsOf(m.durationMs);
  return {
    invocationId: m.invocationId, attempt: m.attempt, account: m.spec.account, function: m.spec.name,
    version: m.spec.version, trigger: m.trigger, status: m.status, start: m.start,
    queuedAt: new Date(m.queuedAt).toISOString(), startedAt: new Date(m.startedAt).toISOString(),
    endedAt: new Date(m.endedAt).toISOString(),
    queueMs: round2(Math.max(0, m.startedAt - m.queuedAt)), initMs: round2(m.initMs), durationMs: round2(m.durationMs),
    billedMs, memoryLimitMiB: m.spec.memory, memoryPeakBytes: m.memoryPeakBytes, cpuUs: m.cpuUs,
    gbSeconds: gbSecondsOf(m.spec.memory, billedMs), costMicros: 0, invoker: m.invoker,
  };
}

/** Lambda's REPORT line, appended to the invocation's logs. */
export function reportLine(r: MeteringRecord): LogLine {
  const init = r.start === 'warm' ? '' : ` Init Duration: ${r.initMs.toFixed(2)} ms`;
  return {
    ts: Date.parse(r.endedAt),
    level: 'info',
    msg: `REPORT ${r.invocationId} Duration: ${r.durationMs.toFixed(2)} ms Billed Duration: ${r.billedMs} ms `
      + `Memory Size: ${r.memoryLimitMiB} MB Max Memory Used: ${Math.ceil(r.memoryPeakBytes / 1048576)} MB `
      + `CPU: ${(r.cpuUs / 1000).toFixed(1)} ms${init} Status: ${r.status}`,
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
