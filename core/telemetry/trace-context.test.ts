import { ROOT_CONTEXT, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { suppressTracing, W3CTraceContextPropagator, TraceState } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { traceparentOf } from './trace-context.js';

const w3c = new W3CTraceContextPropagator();
const injected = (ctx: typeof ROOT_CONTEXT) => {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, { set: (c, k, v) => { c[k] = v; } });
  return carrier.traceparent;
};
const sc = (over: Partial<SpanContext>): SpanContext => ({
  traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, ...over,
});

describe('traceparentOf', () => {
  it.each([
    ['sampled', sc({})],
    ['not sampled', sc({ traceFlags: TraceFlags.NONE })],
    ['other flags', sc({ traceFlags: 0x03 })],
    ['flags missing', sc({ traceFlags: undefined as unknown as number })],
    ['with tracestate', sc({ traceState: new TraceState('a=b') })],
    ['remote', sc({ isRemote: true })],
    ['invalid trace id', sc({ traceId: '00000000000000000000000000000000' })],
    ['invalid span id', sc({ spanId: 'xyz' })],
  ])('writes what the W3C propagator injects: %s', (_name, spanContext) => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    expect(traceparentOf(ctx)).toBe(injected(ctx));
    expect(traceparentOf(suppressTracing(ctx))).toBe(injected(suppressTracing(ctx)));
  });

  it('is undefined without a span', () => {
    expect(traceparentOf(ROOT_CONTEXT)).toBeUndefined();
    expect(injected(ROOT_CONTEXT)).toBeUndefined();
  });
});
