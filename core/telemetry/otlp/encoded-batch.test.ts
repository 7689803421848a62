import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Tracer } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { BatchEncoder } from './encoded-batch.js';

/** Ends spans of every shape the encoder handles, from two resources and three scopes; returns them as the SDK hands them to a processor. */
function spans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const providers = [
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'gateway', 'process.pid': 42, 'host.arch': ['x64', 'arm64'], 'weird é ✓': 'ü' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }),
    new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'other' }), spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  ];
  const tsfn = providers[0]!.getTracer('tsfn');
  const redis = providers[0]!.getTracer('@opentelemetry/instrumentation-ioredis', '0.71.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.27.0' });
  const other = providers[1]!.getTracer('x');
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true,
    traceState: new TraceState('vendor=a,other=b'),
  });
  const make = (t: Tracer, name: string, opts: Parameters<Tracer['startSpan']>[1], parent = ROOT_CONTEXT, body?: (s: ReturnType<Tracer['startSpan']>) => void) => {
    const s = t.startSpan(name, opts, parent);
    body?.(s);
    s.end();
    return s;
  };
  const root = make(tsfn, 'GET /fn/:name/*', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/fn/hello/' } }, remote, (s) => {
    s.setAttribute('http.response.status_code', 200);
    s.updateName('GET /fn/:name/* renamed');
  });
  const under = trace.setSpan(ROOT_CONTEXT, root);
  make(redis, 'evalsha', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'redis', 'net.peer.port': 6379 } }, under);
  make(tsfn, 'enqueue', { kind: SpanKind.PRODUCER }, under, (s) => {
    s.setAttributes({
      int: 7, negative: -3, big: 2 ** 40, negativeBig: -(2 ** 40), huge: 2 ** 60, float: 1.5, nan: Number.NaN, yes: true, no: false,
      empty: '', bools: [true, false], ints: [1, -2, 3], strings: ['a', 'é', ''], long: 'x'.repeat(300), unicode: 'naïve ✓ 😀 '.repeat(5),
      short42: 'y'.repeat(42), short43: 'z'.repeat(43), 'huge string': 'h'.repeat(20_000),
    });
  });
  make(tsfn, 'failing', { kind: SpanKind.INTERNAL }, under, (s) => {
    s.addEvent('first', { 'exception.type': 'Error', n: 1 });
    s.addEvent('second');
    s.recordException(new Error('boom'));
    s.setStatus({ code: SpanStatusCode.ERROR, message: 'it failed: ✗' });
  });
  make(tsfn, 'linked', { links: [{ context: root.spanContext(), attributes: { why: 'retry' } }, { context: trace.getSpanContext(remote)! }] });
  make(other, 'elsewhere', { kind: SpanKind.CONSUMER, startTime: [1_700_000_000, 123_456_789] }, ROOT_CONTEXT, (s) => s.setStatus({ code: SpanStatusCode.OK }));
  make(redis, 'get', { kind: SpanKind.CLIENT, startTime: [4_102_444_800, 999_999_999] }, under);
  make(tsfn, 'unicode ✓ name', {}, under);
  make(tsfn, 's', { kind: SpanKind.INTERNAL, startTime: [1_700_000_000, 0] }, ROOT_CONTEXT);
  return exporter.getFinishedSpans();
}

describe('BatchEncoder', () => {
  it('gives the same bytes as otlp-transformer for the same spans', () => {
    const all = spans();
    const e = new BatchEncoder();
    for (const s of all) e.add(s);
    expect(e.count).toBe(all.length);
    const batch = e.seal();
    expect(batch.spans).toBe(all.length);
    expect(Buffer.from(batch.bytes).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(all)!))).toBe(true);
  });

  it('starts empty after seal and reuses its writers for the next batch', () => {
    const all = spans();
    const e = new BatchEncoder();
    for (const s of all) e.add(s);
    e.seal();
    expect(e.count).toBe(0);
    const some = all.slice(2, 5);
    for (const s of some) e.add(s);
    expect(Buffer.from(e.seal().bytes).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(some)!))).toBe(true);
  });

  it('writes a later batch into a recycled request buffer, and never into one not given back', () => {
    const all = spans();
    const e = new BatchEncoder();
    const serialized = (some: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(some)!);
    for (const s of all) e.add(s);
    const first = e.seal();
    const firstBytes = Buffer.from(first.bytes);
    for (const s of all.slice(0, 4)) e.add(s);
    const kept = e.seal();
    expect(kept.bytes.buffer).not.toBe(first.bytes.buffer);
    expect(Buffer.from(first.bytes).equals(firstBytes)).toBe(true);
    e.recycle(first);
    const some = all.slice(1, 7);
    for (const s of some) e.add(s);
    const reused = e.seal();
    expect(reused.bytes.buffer).toBe(first.bytes.buffer);
    expect(Buffer.from(reused.bytes).equals(serialized(some))).toBe(true);
    expect(Buffer.from(kept.bytes).equals(serialized(all.slice(0, 4)))).toBe(true);
    e.recycle(first);
    for (const s of all) e.add(s);
    expect(e.seal().bytes.buffer).not.toBe(first.bytes.buffer);
  });

  it('encodes batches of many spans whose messages need multi-byte lengths, and repeated attributes from the cache', () => {
    const all = spans();
    const many = Array.from({ length: 60 }, (_, i) => all[i % all.length]!);
    const e = new BatchEncoder();
    for (const s of many) e.add(s);
    const batch = e.seal();
    expect(batch.bytes.length).toBeGreaterThan(20_000);
    expect(Buffer.from(batch.bytes).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(many)!))).toBe(true);
  });
});
