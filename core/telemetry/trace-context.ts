import {
  context, defaultTextMapGetter, SpanKind, SpanStatusCode, trace, TraceFlags,
  type Attributes, type Context, type Span, type TimeInput, type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Trigger } from '../states.js';
import { ROOT } from './linked-context.js';
import { SyncContextManager } from './sync-context.js';

/**
 * Spans and trace context as gateway and invoker use them. Everything goes
 * through the OpenTelemetry API, which is a no-op until startTracing installs
 * a provider; the trace context still flows then: a span started under a
 * remote parent is a non-recording copy of it, so a caller's `traceparent`
 * reaches the function unchanged.
 *
 * Context is passed explicitly (a TraceScope, a Context), never looked up
 * after an `await`: the context manager (sync-context.ts) keeps a context
 * active only while `with` runs synchronously. Traces start from tsfn's
 * empty context (ROOT, linked-context.ts), not the API's ROOT_CONTEXT.
 */
const w3c = new W3CTraceContextPropagator();

let cachedTracer: Tracer | undefined;
/** tsfn's tracer, looked up once per provider (startTracing and its shutdown call forgetTracer). */
export const tracer = (): Tracer => (cachedTracer ??= trace.getTracer('tsfn'));
export const forgetTracer = (): void => {
  cachedTracer = undefined;
};

/**
 * The W3C `traceparent` of the span in `ctx`, if it holds a valid one: what
 * W3CTraceContextPropagator.inject writes, without a carrier to write it to
 * and the tracestate it would serialise beside it (only traceparent crosses
 * the queue).
 */
export function traceparentOf(ctx: Context): string | undefined {
  const sc = trace.getSpanContext(ctx);
  if (!sc || isTracingSuppressed(ctx) || !trace.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-0${Number(sc.traceFlags || TraceFlags.NONE).toString(16)}`;
}

/** `parent` with the remote span a `traceparent` names (unchanged when absent or malformed). */
export function contextFrom(traceparent: string | undefined, parent: Context = ROOT): Context {
  if (!traceparent) return parent;
  return w3c.extract(parent, { traceparent }, defaultTextMapGetter);
}

/** Runs `fn` in some trace context (see TraceScope.within). */
export type Within = <T>(fn: () => T) => T;

/**
 * The trace context of one request or invocation, carried explicitly through
 * its async steps.
 */
export interface TraceScope {
  readonly ctx: Context;
  /**
   * Runs `fn` with `ctx` active: a Redis or PostgreSQL command that `fn` sends
   * synchronously gets its client span under this scope's span.
   */
  readonly within: Within;
}

export function traceScope(ctx: Context): TraceScope {
  return {
    ctx,
    // Straight to tsfn's context manager when it is the one installed (the
    // API's with() passes through rest parameters and a global lookup).
    within: (fn) => {
      const manager = SyncContextManager.installed;
      return manager ? manager.run(ctx, fn) : context.with(ctx, fn);
    },
  };
}

/** Outside any trace: client calls run as they are, with no span. */
export const NO_TRACE: TraceScope = { ctx: ROOT, within: (fn) => fn() };

/** `scope`'s context when it holds a span, else the one a `traceparent` names. */
export function parentOf(scope: TraceScope, traceparent: string | undefined): Context {
  return trace.getSpan(scope.ctx) ? scope.ctx : contextFrom(traceparent);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  startTime?: TimeInput;
  parent: Context;
}

/**
 * Runs `fn` in a new span under `opts.parent` (with the span's scope, which
 * `fn` passes on), ends it when `fn` settles and marks it failed when `fn`
 * throws.
 */
export async function inSpan<T>(name: string, opts: SpanOptions, fn: (span: Span, scope: TraceScope) => Promise<T>): Promise<T> {
  const span = tracer().startSpan(name, { kind: opts.kind, attributes: opts.attributes, startTime: opts.startTime }, opts.parent);
  const scope = traceScope(trace.setSpan(opts.parent, span));
  try {
    return await scope.within(() => fn(span, scope));
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
