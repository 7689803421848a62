/**
 * npx tsx bench/tracing-cold.ts: the tracing work of one traced request's
 * gateway and invoker parts (8 spans: server, admission, enqueue, queue wait,
 * invoke, acquire, run, reply; their attributes, context and traceparents,
 * each encoded to OTLP/protobuf as it ends), with the caches made cold
 * between requests, as the platform's other processes leave them: between
 * two requests a stand-in for the rest of the machine's work reads 16,384
 * random places of an 8 MiB array and makes 400 short-lived objects. Prints
 * µs a request for that work alone and with tracing, in alternating blocks
 * (BLOCKS pairs, default 40), and the median of the pairs' differences (the
 * tracing's cost a request, cold). ALLOC=1 prints instead the bytes the
 * tracing work allocates a request. Warm figures: bench/tracer-spans.ts and
 * bench/otlp-encode.ts.
 */
import v8 from 'node:v8';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { ROOT } from '../core/telemetry/linked-context.js';
import { startTracing } from '../core/telemetry/tracing.js';
import { tracer, traceparentOf, contextFrom } from '../core/telemetry/trace-context.js';
import { median } from './support/stats.js';

const env = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces', OTEL_BSP_SCHEDULE_DELAY: '3600000', OTEL_BSP_MAX_QUEUE_SIZE: '100000000', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512' };
Object.assign(process.env, env);
startTracing({ serviceName: 'bench', env: process.env, log: () => {} });

const big = new Float64Array((8 << 20) / 8);
let sink = 0;
/** The rest of the machine: memory and garbage that push tracing's code and data out of the caches. */
function elsewhere(seed: number): void {
  for (let i = 0, x = seed; i < 1 << 14; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    sink += big[(x >>> 3) & (big.length - 1)]!;
  }
  const junk: unknown[] = [];
  for (let i = 0; i < 400; i++) junk.push({ a: i, b: `s${i}`, c: [i] });
  sink += junk.length;
}

const headers = { traceparent: undefined as string | undefined };
/** What the ioredis instrumentation records of a script call. */
const REDIS_SPAN = {
  kind: SpanKind.CLIENT,
  attributes: { 'db.operation.name': 'evalsha', 'db.system.name': 'redis', 'db.query.text': 'evalsha', 'server.address': '127.0.0.1', 'server.port': 6379 },
};
function request(n: number): void {
  const t = tracer();
  const parent = propagation.extract(ROOT, headers);
  const server = t.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/fn/hello/' } }, parent);
  const sctx = trace.setSpan(parent, server);
  server.setAttributes({ 'faas.invoked_name': 'hello', 'faas.trigger': 'http', 'faas.invocation_id': `inv_${n}` });
  context.with(sctx, () => {
    t.startSpan('evalsha', REDIS_SPAN).end();
  });
  const enq = t.startSpan('enqueue hello', { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'bullmq', 'messaging.operation.type': 'send', 'messaging.destination.name': 'invocations', 'messaging.message.id': `inv_${n}`, 'faas.invoked_name': 'hello' } }, sctx);
  const jobTraceparent = traceparentOf(trace.setSpan(sctx, enq));
  enq.end();
  // The invoker's part.
  const jp = contextFrom(jobTraceparent);
  const now = Date.now();
  t.startSpan('queue wait', { startTime: now - 1, attributes: { 'messaging.destination.name': 'invocations', 'tsfn.attempt': 1 } }, jp).end(now);
  const inv = t.startSpan('invoke hello', { kind: SpanKind.CONSUMER, startTime: now, attributes: { 'faas.invocation_id': `inv_${n}`, 'faas.trigger': 'http', 'faas.name': 'hello', 'faas.version': '1', 'faas.max_memory': 134217728, 'tsfn.attempt': 1 } }, jp);
  const ictx = trace.setSpan(jp, inv);
  const acq = t.startSpan('acquire', {}, ictx);
  acq.setAttributes({ 'tsfn.start': 'warm', 'faas.coldstart': false });
  acq.end();
  const run = t.startSpan('run', { kind: SpanKind.CLIENT, startTime: performance.now() }, ictx);
  const rp = traceparentOf(trace.setSpan(ictx, run));
  run.setAttribute('tsfn.outcome', 'result');
  run.end(performance.now());
  context.with(ictx, () => {
    t.startSpan('evalsha', REDIS_SPAN).end();
  });
  inv.setAttributes({ 'faas.coldstart': false, 'tsfn.start': 'warm', 'tsfn.status': 'ok', 'tsfn.cpu_us': 812, 'tsfn.memory_peak_bytes': 41234432 });
  inv.end();
  server.updateName('GET /fn/:target/*');
  server.setAttribute('http.route', '/fn/:target/*');
  server.setAttribute('http.response.status_code', 200);
  server.setAttributes({ 'faas.coldstart': false, 'tsfn.start': 'warm', 'tsfn.status': 'ok' });
  server.end();
  sink += rp!.length;
}

const PER_BLOCK = 2000;
const block = (traced: boolean): number => {
  const t0 = performance.now();
  for (let i = 0; i < PER_BLOCK; i++) {
    elsewhere(i);
    if (traced) request(i);
  }
  return ((performance.now() - t0) * 1000) / PER_BLOCK;
};
if (process.env.ALLOC) {
  // Bytes a request allocates: the young generation's growth over 50 requests, where no collection came between.
  const young = () => v8.getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space')!.space_used_size;
  for (let i = 0; i < 20000; i++) request(i);
  const samples: number[] = [];
  while (samples.length < 200) {
    const before = young();
    for (let i = 0; i < 50; i++) request(i);
    const after = young();
    if (after > before) samples.push((after - before) / 50);
  }
  console.log(`a traced request's tracing allocates ${median(samples).toFixed(0)} bytes (the median of ${samples.length} samples of 50 requests)`);
  process.exit(0);
}
for (let i = 0; i < 4; i++) { block(false); block(true); }
const plain: number[] = [];
const traced: number[] = [];
for (let i = 0; i < Number(process.env.BLOCKS ?? 40); i++) {
  plain.push(block(false));
  traced.push(block(true));
}
const diffs = traced.map((t, i) => t - plain[i]!);
console.log(`elsewhere alone ${median(plain).toFixed(1)} µs, with a traced request's tracing ${median(traced).toFixed(1)} µs: tracing ${median(diffs).toFixed(1)} µs a request, cold (${sink > 0 ? '' : ' '}the median of ${plain.length} pairs of blocks of ${PER_BLOCK})`);
process.exit(0);
