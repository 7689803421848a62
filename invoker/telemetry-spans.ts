import { trace, type Span } from '@opentelemetry/api';
import { DelayedError } from 'bullmq';
import {
  contextFrom, FAAS_TRIGGER, failed, inSpan, SpanKind, SpanStatusCode, traceparentOf, tracer, traceScope, type TraceScope,
} from '../core/telemetry/trace-context.js';
import type { InvocationJob } from '../core/schemas/invocation.js';
import type { AcquireTrace, Acquired } from './pool/container-pool.js';
import type { Invocation, InvocationResult } from './run-invocation.js';

/**
 * The invoker's spans of one invocation, under the gateway's enqueue span
 * (the job's traceparent):
 *
 *   queue wait        from queuedAt to the moment this invoker took the job
 *   invoke <name>     consumer span of the attempt, FaaS attributes
 *     acquire         tsfn.start cold | prewarm | warm
 *       layer, launch, init (cold) · attach, init (prewarm) · resume (a frozen warm one)
 *     run             the function's own spans are its children (the invoke frame's traceparent)
 */
export async function invocationSpan<T>(
  inv: Invocation, fn: (annotate: (r: InvocationResult) => void, scope: TraceScope) => Promise<T>,
): Promise<T> {
  const parent = contextFrom(inv.job.traceparent);
  const spec = inv.job.fn;
  const t = tracer();
  const { pickedAt } = inv;
  t.startSpan('queue wait', {
    startTime: Math.min(inv.queuedAt, pickedAt), attributes: { 'messaging.destination.name': 'invocations', 'tsfn.attempt': inv.attempt },
  }, parent).end(pickedAt);
  const span = t.startSpan(`invoke ${spec.name}`, {
    kind: SpanKind.CONSUMER,
    startTime: pickedAt,
    attributes: {
      'faas.invocation_id': inv.id, 'faas.trigger': FAAS_TRIGGER[inv.job.trigger], 'faas.name': spec.name,
      'faas.version': String(spec.version), 'faas.max_memory': spec.memory * 1048576, 'tsfn.attempt': inv.attempt,
    },
  }, parent);
  try {
    const scope = traceScope(trace.setSpan(parent, span));
    return await scope.within(() => fn((r) => annotate(span, r), scope));
  } catch (err) {
    if (err instanceof DelayedError) span.setAttribute('tsfn.requeued', true);
    else failed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

function annotate(span: Span, { record, container, reply }: InvocationResult): void {
  if (!span.isRecording()) return;
  span.setAttributes({
    'faas.coldstart': container ? container.start !== 'warm' : false,
    'tsfn.start': record.start, 'tsfn.status': record.status,
    'tsfn.cpu_us': record.cpuUs, 'tsfn.memory_peak_bytes': record.memoryPeakBytes,
  });
  if (record.status !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: reply.error?.detail ?? record.status });
}

/** Getting a container, with the pool's steps and the code layer's query as children. */
export function acquireSpan(scope: TraceScope, acquire: (trace: AcquireTrace) => Promise<Acquired>): Promise<Acquired> {
  return inSpan('acquire', { parent: scope.ctx }, async (span, inner) => {
    const recording = span.isRecording();
    const a = await acquire({
      step: (name, startMs, endMs) => {
        if (recording) tracer().startSpan(name, { startTime: startMs }, inner.ctx).end(endMs);
      },
      within: inner.within,
    });
    if (span.isRecording()) {
      const start = a.kind === 'lease' ? a.lease.start : a.start;
      span.setAttributes({ 'tsfn.start': start, 'faas.coldstart': start !== 'warm' });
      if (a.kind === 'init-failed') span.setStatus({ code: SpanStatusCode.ERROR, message: `init ${a.outcome.kind}` });
    }
    return a;
  });
}

export interface RunSpan {
  /** What the function gets as its trace context: this span's, or the job's when tracing is off. */
  traceparent: string | undefined;
  /** The request's headers with this span's `traceparent` (a caller's is replaced: the function's parent is the run span). */
  http(h: InvocationJob['http']): InvocationJob['http'];
  end(atMs: number, outcome: string): void;
}

/** The function's run, timed with the same performance.now() readings as the metering record's durationMs. */
export function runSpan(scope: TraceScope, startMs: number, jobTraceparent: string | undefined): RunSpan {
  const span = tracer().startSpan('run', { kind: SpanKind.CLIENT, startTime: startMs }, scope.ctx);
  const traceparent = traceparentOf(trace.setSpan(scope.ctx, span)) ?? jobTraceparent;
  return {
    traceparent,
    http(h) {
      if (!traceparent) return h;
      const others = h.headers.filter(([k]) => k.toLowerCase() !== 'traceparent');
      if (others.length === h.headers.length - 1 && h.headers.some(([k, v]) => k.toLowerCase() === 'traceparent' && v === traceparent)) return h;
      return { ...h, headers: [...others, ['traceparent', traceparent]] };
    },
    end(atMs, outcome) {
      if (span.isRecording()) {
        span.setAttribute('tsfn.outcome', outcome);
        if (outcome !== 'result') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      }
      span.end(atMs);
    },
  };
}
