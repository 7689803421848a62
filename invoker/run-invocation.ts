import type { LogLine } from '../core/schemas/control.js';
import type { InvocationJob, MeteringRecord, Reply } from '../core/schemas/invocation.js';
import type { InvocationStatus, StartKind } from '../core/states.js';
import type { RunOutcome } from './container/container.js';
import { meteringRecord, reportLine } from './metering/record.js';
import { WaitTimeout, type ContainerPool } from './pool/container-pool.js';
import type { TraceScope } from '../core/telemetry/trace-context.js';
import { acquireSpan, runSpan } from './telemetry-spans.js';

export interface Invocation {
  id: string;
  attempt: number;
  job: InvocationJob;
  queuedAt: number;
  /** When this invoker took the job (epoch ms): the end of its time in the queue. */
  pickedAt: number;
  /** Epoch ms by which the function must have answered. */
  deadline: number;
}

export interface InvocationResult {
  reply: Reply;
  record: MeteringRecord;
  logs: LogLine[];
  /** How it got its container, and whether the function then ran in it; none when it timed out before. */
  container?: { start: StartKind; ran: boolean };
}

/**
 * One invocation through the pool: acquire a container (warm, prewarm or
 * cold), read its cgroup counters, run, read them again. CPU time and peak
 * memory are this invocation's own: the counters are read before and after,
 * and the peak is reset before it starts.
 */
export async function runInvocation(pool: ContainerPool, inv: Invocation, invoker: string, scope: TraceScope): Promise<InvocationResult> {
  const { job } = inv;
  const spec = job.fn;
  const startedAt = inv.pickedAt;
  const done = (status: InvocationStatus, start: StartKind, m: { initMs: number; durationMs: number; cpuUs: number; memoryPeakBytes: number },
    logs: LogLine[], http?: Reply['http'], error?: Reply['error'], container?: InvocationResult['container']): InvocationResult => {
    const record = meteringRecord({
      invocationId: inv.id, attempt: inv.attempt, spec, trigger: job.trigger, status, start,
      queuedAt: inv.queuedAt, startedAt, endedAt: Date.now(), invoker, ...m,
    });
    const reply: Reply = {
      invocationId: inv.id, status, start, http, error,
      timing: { queueMs: record.queueMs, initMs: record.initMs, runMs: record.durationMs },
    };
    return { reply, record, logs: [...logs, reportLine(record)], container };
  };
  const none = { initMs: 0, durationMs: 0, cpuUs: 0, memoryPeakBytes: 0 };

  if (inv.deadline <= startedAt) {
    return done('timeout', 'cold', none, [], undefined, { title: 'Function Timeout', detail: 'the invocation waited in the queue past its deadline' });
  }
  let acquired;
  try {
    acquired = await acquireSpan(scope, (trace) => pool.acquire(spec, inv.deadline, trace));
  } catch (err) {
    if (err instanceof WaitTimeout) return done('timeout', 'cold', none, [], undefined, { title: 'Function Timeout', detail: err.message });
    throw err;
  }
  if (acquired.kind === 'init-failed') {
    const o = acquired.outcome;
    const m = { ...none, initMs: acquired.initMs, ...acquired.usage };
    const container = { start: acquired.start, ran: false };
    if (o.kind === 'error') {
      const lines = [...o.logs, { ts: Date.now(), level: 'error' as const, msg: o.error.stack ?? `${o.error.name}: ${o.error.message}` }];
      return done('error', acquired.start, m, lines, undefined,
        { title: 'Function Failed', detail: `the function failed to initialise: ${o.error.name}: ${o.error.message}` }, container);
    }
    return done(o.kind, acquired.start, m, [], undefined, failure(o.kind, o.kind === 'crash' ? o.detail : undefined, pool.initTimeoutMs / 1000, spec.memory, 'initialising'), container);
  }

  const { lease } = acquired;
  const c = lease.container;
  const before = c.usage();
  c.resetPeak();
  const t0 = performance.now();
  const span = runSpan(scope, t0, job.traceparent);
  const timeoutMs = Math.max(1, Math.min(spec.timeout * 1000, inv.deadline - Date.now()));
  const outcome: RunOutcome = await c.run({
    t: 'invoke', id: inv.id, kind: job.kind, start: lease.start, trigger: job.trigger,
    deadline: Date.now() + timeoutMs, traceparent: span.traceparent, account: spec.account, http: span.http(job.http),
  }, Buffer.from(job.bodyB64, 'base64'), timeoutMs);
  const t1 = performance.now();
  span.end(t1, outcome.kind);
  const durationMs = t1 - t0;
  const after = c.usage();
  const m = { initMs: lease.initMs, durationMs, cpuUs: Math.max(0, after.cpuUs - before.cpuUs), memoryPeakBytes: after.memoryPeakBytes };
  lease.release(outcome.kind === 'result' || outcome.kind === 'error');
  const container = { start: lease.start, ran: true };

  switch (outcome.kind) {
    case 'result':
      return done('ok', lease.start, m, outcome.logs, {
        status: outcome.frame.status, headers: outcome.frame.headers, bodyB64: outcome.body.toString('base64'),
      }, undefined, container);
    case 'error': {
      // The shim has already logged the error with its stack.
      const e = outcome.frame.error;
      const what = outcome.frame.kind === 'invalid' ? 'returned an invalid response'
        : outcome.frame.kind === 'too-large' ? 'returned a response over the size limit' : 'threw';
      return done('error', lease.start, m, outcome.logs, undefined, { title: 'Function Failed', detail: `the function ${what}: ${e.name}: ${e.message}` }, container);
    }
    default:
      return done(outcome.kind, lease.start, m, outcome.logs, undefined,
        failure(outcome.kind, outcome.kind === 'crash' ? outcome.detail : undefined, spec.timeout, spec.memory, 'running'), container);
  }
}

/** `limitS`: the time the phase had (init has its own limit; a run has the function's timeout). */
function failure(kind: 'timeout' | 'oom' | 'crash', detail: string | undefined, limitS: number, memoryMiB: number, phase: string): Reply['error'] {
  if (kind === 'timeout') return { title: 'Function Timeout', detail: `the function did not finish ${phase} within ${limitS} s and was stopped` };
  if (kind === 'oom') return { title: 'Function Failed', detail: `the function ran out of memory (${memoryMiB} MiB) while ${phase} and was killed` };
  return { title: 'Function Failed', detail: `the function crashed while ${phase}: ${detail ?? 'its process ended'}` };
}
