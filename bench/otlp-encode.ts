/**
 * npx tsx bench/otlp-encode.ts: encoding 512 spans like a traced request's
 * (server, Redis client, enqueue and invoke spans, their attributes) to
 * OTLP/protobuf, otlp-transformer's ProtobufTraceSerializer against tsfn's
 * BatchEncoder (core/telemetry/otlp/), in one process, ns per span. A
 * microbenchmark with warm caches: in the platform both cost more per span,
 * and the SDK's processor also keeps every span until its batch goes.
 */
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BatchEncoder } from '../core/telemetry/otlp/encoded-batch.js';
const ex = new InMemorySpanExporter();
const p = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'tsfn-gateway', 'host.name': 'x' }), spanProcessors: [new SimpleSpanProcessor(ex)] });
const t = p.getTracer('tsfn'); const r = p.getTracer('@opentelemetry/instrumentation-ioredis', '0.71.0');
for (let i = 0; i < 512 / 4; i++) {
  const root = t.startSpan('GET /fn/:name/*', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/fn/hello/' } });
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  r.startSpan('evalsha', { kind: SpanKind.CLIENT, attributes: { 'db.operation.name': 'evalsha', 'db.system.name': 'redis', 'db.query.text': 'evalsha 6f1b2c3d4e5f 3 tsfn:admit:a tsfn:admit:b [2 other arguments]', 'server.address': '127.0.0.1', 'server.port': 6379 } }, ctx).end();
  const e = t.startSpan('enqueue hello', { kind: SpanKind.PRODUCER, attributes: { 'faas.invocation_id': 'inv_0123456789abcdef', 'messaging.system': 'bullmq', 'messaging.destination.name': 'invocations' } }, ctx); e.end();
  const inv = t.startSpan('invoke hello', { kind: SpanKind.CONSUMER, attributes: { 'faas.invocation_id': 'inv_0123456789abcdef', 'faas.trigger': 'http', 'faas.name': 'hello', 'faas.version': '1', 'faas.max_memory': 134217728, 'tsfn.attempt': 1 } }, ctx);
  inv.setAttributes({ 'faas.coldstart': false, 'tsfn.start': 'warm', 'tsfn.status': 'ok', 'tsfn.cpu_us': 812, 'tsfn.memory_peak_bytes': 41234432 }); inv.end();
  root.setAttribute('http.route', '/fn/:name/*'); root.setAttribute('http.response.status_code', 200); root.end();
}
const spans = ex.getFinishedSpans();
const N = 400;
for (const [name, fn] of [['transformer', () => ProtobufTraceSerializer.serializeRequest(spans)], ['encoder', () => { const e = new BatchEncoder(); for (const s of spans) e.add(s); return e.seal().bytes; }]] as const) {
  for (let i = 0; i < 50; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn();
  console.log(name, ((performance.now() - t0) * 1e6 / (N * spans.length)).toFixed(0), 'ns/span');
}
