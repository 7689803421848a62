import {
  context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace,
  type Attributes, type Context, type Span, type TimeInput,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Trigger } from '../states.js';

/**
 * Spans and trace context as gateway and invoker use them. Everything goes
 * through the OpenTelemetry API, which is a no-op until startTracing installs
 * a provider; the trace context still flows then: a span started under a
 * remote parent is a non-recording copy of it, so a caller's `traceparent`
 * reaches the function unchanged.
 */
const w3c = new W3CTraceContextPropagator();

export const tracer = () => trace.getTracer('tsfn');

/** The W3C `traceparent` of the span in `ctx`, if it holds a valid one. */
export function traceparentOf(ctx: Context): string | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/** `parent` with the remote span a `traceparent` names (unchanged when absent or malformed). */
export function contextFrom(traceparent: string | undefined, parent: Context = ROOT_CONTEXT): Context {
  if (!traceparent) return parent;
  return w3c.extract(parent, { traceparent }, defaultTextMapGetter);
}

/** The active context when a span is active in it, else the one a `traceparent` names. */
export function currentOr(traceparent: string | undefined): Context {
  const active = context.active();
  return trace.getSpan(active) ? active : contextFrom(traceparent);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  startTime?: TimeInput;
  /** Parent context; the active one by default. */
  parent?: Context;
}

/**
 * Runs `fn` in a new span made the active one, ends it when `fn` settles and
 * marks it failed when `fn` throws.
 */
export async function inSpan<T>(name: string, opts: SpanOptions, fn: (span: Span, ctx: Context) => Promise<T>): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: opts.kind, attributes: opts.attributes, startTime: opts.startTime }, parent);
  const ctx = trace.setSpan(parent, span);
  try {
    return await context.with(ctx, () => fn(span, ctx));
  } catch (err) {
    failed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

export function failed(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * `faas.trigger` of a tsfn trigger: async invocations arrive through a
 * queue (pubsub), scheduled ones from a timer.
 */
export const FAAS_TRIGGER: Record<Trigger, string> = { http: 'http', async: 'pubsub', schedule: 'timer' };

export { SpanKind, SpanStatusCode };
