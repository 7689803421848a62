import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../core/redis-keys.js';
import { buildArtifact, deploy } from './support/artifacts.js';
import { testContext, type TestContext } from './support/context.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { requireRoot } from './support/root.js';

/**
 * One trace per invocation, through a real gateway (over HTTP), BullMQ, a
 * real invoker and container, to the function: spans in an in-memory
 * exporter, durations against the metering record in PostgreSQL.
 */
const FUNCTION = `export default {
  fetch(req: Request, ctx: any) {
    return Response.json({ ctx: ctx.traceparent ?? null, header: req.headers.get('traceparent'), coldStart: ctx.coldStart });
  },
};`;

const id = (s: ReadableSpan) => s.spanContext().spanId;
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const ms = (s: ReadableSpan) => hrTimeToMilliseconds(s.duration);

let ctx: TestContext;

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
});
afterAll(async () => {
  await ctx?.close();
});

interface Traced {
  status: number;
  body: { ctx: string | null; header: string | null; coldStart: boolean };
  invocationId: string;
  spans: ReadableSpan[];
}

async function invoke(p: TestPlatform, exporter: InMemorySpanExporter, name: string, traceparent?: string): Promise<Traced> {
  const res = await fetch(`${p.gateway.url}/fn/${name}/some/path?q=1`, { headers: traceparent ? { traceparent } : {} });
  const body = await res.json() as Traced['body'];
  const invocationId = res.headers.get('x-tsfn-invocation-id')!;
  // The invoker's span ends after it has published the reply: wait for it.
  const until = Date.now() + 5000;
  let invokeSpan: ReadableSpan | undefined;
  while (!(invokeSpan = exporter.getFinishedSpans().find((s) => s.attributes['faas.invocation_id'] === invocationId && s.kind === SpanKind.CONSUMER))) {
    if (Date.now() > until) throw new Error(`no invoker span for ${invocationId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 50));
  const traceId = invokeSpan.spanContext().traceId;
  return { status: res.status, body, invocationId, spans: exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId) };
}

/** The spans of one invocation by role, each asserted to be where the tree says. */
function tree(t: Traced) {
  const one = (pred: (s: ReadableSpan) => boolean, what: string) => {
    const found = t.spans.filter(pred);
    expect(found, what).toHaveLength(1);
    return found[0]!;
  };
  const gateway = one((s) => s.kind === SpanKind.SERVER, 'gateway server span');
  const enqueue = one((s) => s.kind === SpanKind.PRODUCER, 'enqueue span');
  const queued = one((s) => s.name === 'queue wait', 'queue wait span');
  const invoke = one((s) => s.kind === SpanKind.CONSUMER, 'invoker span');
  const acquire = one((s) => s.name === 'acquire', 'acquire span');
  const run = one((s) => s.name === 'run', 'run span');
  expect(parentOf(enqueue)).toBe(id(gateway));
  expect(parentOf(queued)).toBe(id(enqueue));
  expect(parentOf(invoke)).toBe(id(enqueue));
  expect(parentOf(acquire)).toBe(id(invoke));
  expect(parentOf(run)).toBe(id(invoke));
  const steps = t.spans.filter((s) => parentOf(s) === id(acquire) && s.instrumentationScope.name === 'tsfn').map((s) => s.name);
  return { gateway, enqueue, queued, invoke, acquire, run, steps };
}

async function record(p: TestPlatform, invocationId: string) {
  const until = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${p.gateway.url}/v1/invocations/${invocationId}`, { headers: { authorization: `Bearer ${p.admin}` } });
    const body = await res.json() as { records: any[] };
    if (body.records?.length) return body.records[0];
    if (Date.now() > until) throw new Error(`no metering record for ${invocationId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('traces, cold then warm', () => {
  let p: TestPlatform;
  const exporter = new InMemorySpanExporter();

  beforeAll(async () => {
    p = await startPlatform(ctx, { meter: true, spanExporter: exporter });
    const art = await buildArtifact({ 'index.ts': FUNCTION });
    expect((await deploy(p.gateway.url, p.admin, 'traced', { memory: 128 }, art.data)).status).toBe(201);
  });
  afterAll(async () => {
    await p?.close();
  });

  it('follows a cold invocation from the caller through gateway, queue, invoker and container into the function', async () => {
    const callerTrace = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const t = await invoke(p, exporter, 'traced', `00-${callerTrace}-${callerSpan}-01`);
    expect(t.status).toBe(200);
    const s = tree(t);

    expect(s.gateway.spanContext().traceId).toBe(callerTrace);
    expect(parentOf(s.gateway)).toBe(callerSpan);
    expect(s.gateway.name).toBe('GET /fn/:target/*');
    expect(s.gateway.attributes).toMatchObject({
      'http.request.method': 'GET', 'http.route': '/fn/:target/*', 'http.response.status_code': 200,
      'faas.invoked_name': 'traced', 'faas.trigger': 'http', 'faas.invocation_id': t.invocationId, 'faas.coldstart': true,
    });
    expect(s.enqueue.attributes).toMatchObject({ 'messaging.destination.name': 'invocations', 'messaging.message.id': t.invocationId });
    expect(s.invoke.name).toBe('invoke traced');
    expect(s.invoke.attributes).toMatchObject({
      'faas.invocation_id': t.invocationId, 'faas.coldstart': true, 'faas.trigger': 'http', 'faas.name': 'traced',
      'faas.version': '1', 'faas.max_memory': 128 * 1048576, 'tsfn.start': 'cold', 'tsfn.status': 'ok',
    });
    expect(s.invoke.attributes['tsfn.cpu_us']).toBeGreaterThan(0);
    expect(s.invoke.attributes['tsfn.memory_peak_bytes']).toBeGreaterThan(1048576);
    expect(s.acquire.attributes).toMatchObject({ 'tsfn.start': 'cold', 'faas.coldstart': true });
    expect(s.steps).toEqual(['layer', 'launch', 'init']);

    // The function's trace context is the run span's, in its Context and on its request.
    const expected = `00-${callerTrace}-${id(s.run)}-01`;
    expect(t.body).toEqual({ ctx: expected, header: expected, coldStart: true });

    // Client spans of the standard instrumentations, inside the trace.
    const redis = t.spans.filter((x) => x.instrumentationScope.name === '@opentelemetry/instrumentation-ioredis');
    expect(redis.some((x) => parentOf(x) === id(s.gateway)), 'a Redis span under the gateway span (admission)').toBe(true);
    expect(redis.some((x) => parentOf(x) === id(s.invoke)), 'a Redis span under the invoker span (reply, metering)').toBe(true);
    const pg = t.spans.filter((x) => x.instrumentationScope.name === '@opentelemetry/instrumentation-pg' && x.name.startsWith('pg.query'));
    expect(pg.some((x) => parentOf(x) === id(s.acquire)), 'the code layer fetched from PostgreSQL under acquire').toBe(true);
    expect(JSON.stringify(redis.map((x) => x.attributes))).not.toContain(Buffer.from('some/path').toString('base64').slice(0, 8));

    // Durations agree with the metering record.
    const r = await record(p, t.invocationId);
    expect(r).toMatchObject({ start: 'cold', status: 'ok' });
    expect(Math.abs(ms(s.run) - r.durationMs)).toBeLessThan(0.05);
    expect(s.invoke.attributes['tsfn.cpu_us']).toBe(r.cpuUs);
    expect(s.invoke.attributes['tsfn.memory_peak_bytes']).toBe(r.memoryPeakBytes);
    const [launch, init] = ['launch', 'init'].map((n) => t.spans.find((x) => x.name === n && parentOf(x) === id(s.acquire))!);
    expect(Math.abs(ms(launch!) + ms(init!) - r.initMs)).toBeLessThan(0.5);
    expect(ms(s.acquire)).toBeGreaterThanOrEqual(r.initMs - 0.05);
    expect(Math.abs(ms(s.queued) - r.queueMs)).toBeLessThan(5);
    expect(ms(s.gateway)).toBeGreaterThan(r.initMs + r.durationMs);
  });

  it('starts a trace of its own for a caller without one, and marks the warm start', async () => {
    const t = await invoke(p, exporter, 'traced');
    expect(t.status).toBe(200);
    const s = tree(t);
    expect(parentOf(s.gateway)).toBeUndefined();
    expect(s.gateway.attributes['faas.coldstart']).toBe(false);
    expect(s.invoke.attributes).toMatchObject({ 'faas.coldstart': false, 'tsfn.start': 'warm', 'tsfn.status': 'ok' });
    expect(s.acquire.attributes).toMatchObject({ 'tsfn.start': 'warm', 'faas.coldstart': false });
    // A warm container needs no layer, launch or init; it may have been frozen and thawed.
    expect(s.steps.filter((n) => n !== 'resume')).toEqual([]);
    const expected = `00-${s.gateway.spanContext().traceId}-${id(s.run)}-01`;
    expect(t.body).toEqual({ ctx: expected, header: expected, coldStart: false });
    const r = await record(p, t.invocationId);
    expect(r.start).toBe('warm');
    expect(Math.abs(ms(s.run) - r.durationMs)).toBeLessThan(0.05);
  });

  it('keeps concurrent invocations apart: each client span in its own trace, under its own request', async () => {
    const traces = await Promise.all(Array.from({ length: 8 }, () =>
      invoke(p, exporter, 'traced', `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`)));
    for (const t of traces) {
      expect(t.status).toBe(200);
      const s = tree(t);
      const redis = t.spans.filter((x) => x.instrumentationScope.name === '@opentelemetry/instrumentation-ioredis');
      // Admission under the gateway's span; the end (metering, slot, reply: one script) under the invoker's.
      expect(redis.filter((x) => parentOf(x) === id(s.gateway)).map((x) => x.name)).toEqual(['evalsha']);
      expect(redis.filter((x) => parentOf(x) === id(s.invoke)).map((x) => x.name)).toEqual(['evalsha']);
    }
    // The invoker freed every admission slot as its invocation ended.
    expect(await ctx.redis.zcard(redisKeys(ctx.prefix).inflight('traced'))).toBe(0);
  });

  it('marks a failed invocation in the trace', async () => {
    const art = await buildArtifact({ 'index.ts': 'export default { fetch() { throw new Error("nope"); } };' });
    expect((await deploy(p.gateway.url, p.admin, 'failing', {}, art.data)).status).toBe(201);
    const res = await fetch(`${p.gateway.url}/fn/failing`);
    expect(res.status).toBe(502);
    const invocationId = res.headers.get('x-tsfn-invocation-id')!;
    const until = Date.now() + 5000;
    let invokeSpan: ReadableSpan | undefined;
    while (!(invokeSpan = exporter.getFinishedSpans().find((s) => s.attributes['faas.invocation_id'] === invocationId && s.kind === SpanKind.CONSUMER))) {
      if (Date.now() > until) throw new Error('no invoker span');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(invokeSpan.attributes['tsfn.status']).toBe('error');
    expect(invokeSpan.status.code).toBe(2);
    const gw = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.attributes['faas.invocation_id'] === invocationId)!;
    expect(gw.attributes['http.response.status_code']).toBe(502);
    expect(gw.status.code).toBe(2);
  });
});

describe('traces, prewarmed stem cell', () => {
  let p: TestPlatform;
  const exporter = new InMemorySpanExporter();

  beforeAll(async () => {
    p = await startPlatform(ctx, { spanExporter: exporter, env: { TSFN_PREWARM: '1' } });
    const art = await buildArtifact({ 'index.ts': FUNCTION });
    expect((await deploy(p.gateway.url, p.admin, 'stem', {}, art.data)).status).toBe(201);
    const until = Date.now() + 15_000;
    while (p.invoker!.pool.stats().prewarm < 1) {
      if (Date.now() > until) throw new Error('no stem cell became ready');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    await p?.close();
  });

  it('shows the stem cell taking the code (attach) and initialising', async () => {
    const t = await invoke(p, exporter, 'stem');
    expect(t.status).toBe(200);
    const s = tree(t);
    expect(s.invoke.attributes).toMatchObject({ 'faas.coldstart': true, 'tsfn.start': 'prewarm' });
    expect(s.steps.filter((n) => n !== 'resume')).toEqual(['layer', 'attach', 'init']);
    expect(t.body.ctx).toBe(`00-${s.gateway.spanContext().traceId}-${id(s.run)}-01`);
  });
});
