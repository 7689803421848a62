import { randomUUID } from 'node:crypto';
import type { LogLine } from '../../core/schemas/control.js';
import type { MeteringRecord } from '../../core/schemas/invocation.js';
import type { InvocationStatus, StartKind } from '../../core/states.js';

export interface Sample {
  record: MeteringRecord;
  logs: LogLine[];
}

export interface SampleOptions {
  accounts?: string[];
  functions?: string[];
  /** Invocations end at `from` + i × `stepMs`. */
  from?: number;
  stepMs?: number;
  seed?: number;
}

/** Statuses in realistic proportions, failures of every kind among them. */
const STATUSES: InvocationStatus[] = [
  ...Array<InvocationStatus>(17).fill('ok'), 'error', 'timeout', 'oom', 'crash', 'rejected',
];
const STARTS: StartKind[] = ['warm', 'warm', 'warm', 'warm', 'prewarm', 'cold'];
const MEMORY = [128, 256, 512, 1024, 2048];

/** A small deterministic PRNG (mulberry32): the same seed gives the same records. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` metering records as invokers (and gateways, for 429s) append them, with their log lines. */
export function sampleRecords(n: number, opts: SampleOptions = {}): Sample[] {
  const rand = rng(opts.seed ?? 1);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const accounts = opts.accounts ?? ['default'];
  const functions = opts.functions ?? ['hello', 'api', 'thumbnail'];
  const from = opts.from ?? Date.parse('2026-11-01T00:00:00Z');
  const step = opts.stepMs ?? 1000;
  return Array.from({ length: n }, (_, i) => {
    const status = pick(STATUSES);
    const rejected = status === 'rejected';
    const start = rejected ? 'cold' : pick(STARTS);
    const ended = from + i * step;
    const durationMs = rejected ? 0 : Math.round(rand() * 2_000_000) / 1000;
    const billedMs = Math.ceil(durationMs);
    const memory = pick(MEMORY);
    const initMs = start === 'warm' || rejected ? 0 : Math.round(rand() * 80_000) / 1000;
    const queueMs = rejected ? 0 : Math.round(rand() * 5000) / 1000;
    const invocationId = randomUUID();
    const record: MeteringRecord = {
      invocationId, attempt: 1, account: pick(accounts), function: pick(functions), version: 1 + Math.floor(rand() * 3),
      trigger: pick(['http', 'http', 'async', 'schedule'] as const), status, start,
      queuedAt: new Date(ended - durationMs - initMs - queueMs).toISOString(),
      startedAt: new Date(ended - durationMs).toISOString(), endedAt: new Date(ended).toISOString(),
      queueMs, initMs, durationMs, billedMs, memoryLimitMiB: memory,
      memoryPeakBytes: rejected ? 0 : Math.floor(rand() * memory * 1048576),
      cpuUs: rejected ? 0 : Math.floor(rand() * billedMs * 1000), gbSeconds: (memory * billedMs) / 1024000,
      costMicros: 0, invoker: rejected ? 'gateway' : 'inv-1',
    };
    const logs: LogLine[] = rejected ? [] : [
      { ts: ended - 1, level: 'log', msg: `handled request ${i} for ${record.function}` },
      {
        ts: ended, level: 'stdout',
        msg: `REPORT ${invocationId} Duration: ${durationMs.toFixed(2)} ms Billed Duration: ${billedMs} ms `
          + `Memory Size: ${memory} MB Max Memory Used: ${Math.round(record.memoryPeakBytes / 1048576)} MB `
          + `CPU: ${(record.cpuUs / 1000).toFixed(1)} ms Init Duration: ${initMs.toFixed(2)} ms`,
      },
    ];
    return { record, logs };
  });
}

/** The stream entry's fields, exactly as core/metering.ts MeteringStream.append writes them. */
export function entryFields(s: Sample): string[] {
  const fields = ['r', JSON.stringify(s.record)];
  if (s.logs.length) fields.push('l', JSON.stringify({ lines: s.logs, truncated: false }));
  return fields;
}
