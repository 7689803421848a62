/**
 * npx tsx bench/tracer-spans.ts: making, annotating and ending the spans of a
 * traced request's gateway part (a server span, a Redis client span and an
 * enqueue span, with their attributes and context) through the SDK's
 * BasicTracerProvider and through tsfn's RecordingTracerProvider, with a span
 * processor that does nothing, in one process, ns per span, twice each.
 */
import { ROOT_CONTEXT, SpanKind, trace, type TracerProvider } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { RecordingTracerProvider } from '../core/telemetry/tracer/recording-tracer-provider.js';
const proc = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
const resource = resourceFromAttributes({ 'service.name': 'x' });
for (const [name, p] of [['sdk', new BasicTracerProvider({ resource, spanProcessors: [proc as any] })], ['recording', new RecordingTracerProvider({ resource, spanProcessors: [proc as any] })], ['sdk', new BasicTracerProvider({ resource, spanProcessors: [proc as any] })], ['recording', new RecordingTracerProvider({ resource, spanProcessors: [proc as any] })]] as Array<[string, TracerProvider]>) {
  const t = p.getTracer('tsfn');
  const req = () => {
    const root = t.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/fn/hello/' } }, ROOT_CONTEXT);
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    t.startSpan('evalsha', { kind: SpanKind.CLIENT, attributes: { 'db.operation.name': 'evalsha', 'db.system.name': 'redis', 'db.query.text': 'evalsha abc 3 a b c', 'server.address': '127.0.0.1', 'server.port': 6379 } }, ctx).end();
    const e = t.startSpan('enqueue hello', { kind: SpanKind.PRODUCER, attributes: { 'faas.invocation_id': 'inv_0123', 'messaging.system': 'bullmq' } }, ctx);
    e.end();
    root.updateName('GET /fn/:name/*'); root.setAttribute('http.route', '/fn/:name/*'); root.setAttribute('http.response.status_code', 200); root.end();
  };
  for (let i = 0; i < 100000; i++) req();
  const N = 300000; const t0 = performance.now();
  for (let i = 0; i < N; i++) req();
  console.log(name, ((performance.now() - t0) * 1e6 / (N * 3)).toFixed(0), 'ns/span');
}
