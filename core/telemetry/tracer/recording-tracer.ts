import {
  context as api, diag, INVALID_SPAN_CONTEXT, SamplingDecision, SpanKind, trace, TraceFlags,
  type Context, type Span, type SpanOptions, type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { IdGenerator, Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RecordingSpan } from './recording-span.js';
import type { Limits } from './tracer-config.js';

/** What the sampler is shown when the caller gave no attributes or links (samplers only read them). */
const NO_ATTRIBUTES = Object.freeze({});
const NO_LINKS = Object.freeze([]) as unknown as [];

export interface TracerShared {
  resource: Resource;
  sampler: Sampler;
  limits: Limits;
  ids: IdGenerator;
  processor: SpanProcessor;
}

/**
 * The SDK tracer's startSpan (sdk-trace Tracer.ts), step for step: a root
 * span when asked or when the context holds no valid parent, nothing
 * recorded when tracing is suppressed or the sampler says NOT_RECORD (the
 * context still propagates), the sampler's trace state and attributes
 * applied. It hands the caller's attributes to the span, which checks each
 * one as it stores it, instead of copying them twice first.
 */
export class RecordingTracer implements Tracer {
  constructor(readonly scope: InstrumentationScope, private readonly shared: TracerShared) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = api.active()): Span {
    if (options.root) ctx = trace.deleteSpan(ctx);
    if (isTracingSuppressed(ctx)) {
      diag.debug('Instrumentation suppressed, returning Noop Span');
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    }
    const { ids, sampler, processor } = this.shared;
    const parentSpan = trace.getSpan(ctx);
    const parentContext = parentSpan?.spanContext();
    const spanId = ids.generateSpanId();
    // A RecordingSpan's ids were made valid; others (remote, wrapped) are checked.
    const parent = parentContext && (parentSpan instanceof RecordingSpan || trace.isSpanContextValid(parentContext)) ? parentContext : undefined;
    const traceId = parent ? parent.traceId : ids.generateTraceId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const sampled = sampler.shouldSample(ctx, traceId, name, kind, options.attributes ?? NO_ATTRIBUTES, options.links ?? NO_LINKS);
    const spanContext = {
      traceId, spanId,
      traceFlags: sampled.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: sampled.traceState ?? parent?.traceState,
    };
    if (sampled.decision === SamplingDecision.NOT_RECORD) {
      diag.debug('Recording is off, propagating context in a non-recording span');
      return trace.wrapSpanContext(spanContext);
    }
    const span = new RecordingSpan({
      resource: this.shared.resource, scope: this.scope, context: ctx, spanContext, parentSpanContext: parent, name, kind,
      links: options.links, attributes: options.attributes, startTime: options.startTime, processor, limits: this.shared.limits,
    });
    if (sampled.attributes) span.setAttributes(sampled.attributes);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, opts: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, opts: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> | undefined {
    if (rest.length < 1) return undefined;
    const fn = rest[rest.length - 1] as F;
    const opts = rest.length >= 2 ? (rest[0] as SpanOptions) : undefined;
    const parent = (rest.length >= 3 ? (rest[1] as Context | undefined) : undefined) ?? api.active();
    const span = this.startSpan(name, opts, parent);
    return api.with(trace.setSpan(parent, span), fn as (s: Span) => ReturnType<F>, undefined, span);
  }
}
