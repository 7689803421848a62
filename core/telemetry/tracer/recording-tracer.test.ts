import {
  context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Span, type TracerProvider,
} from '@opentelemetry/api';
import { suppressTracing, TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchEncoder } from '../otlp/encoded-batch.js';
import { SyncContextManager } from '../sync-context.js';
import { PooledIdGenerator } from './pooled-id-generator.js';
import { RecordingTracerProvider } from './recording-tracer-provider.js';

/**
 * The same calls through the SDK's BasicTracerProvider and through
 * RecordingTracerProvider must end in the same spans (ids and clock readings
 * aside): a differential test, as for the shim's fetch classes.
 */
const resource = resourceFromAttributes({ 'service.name': 'diff' });
const remote = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true,
  traceState: new TraceState('vendor=a'),
});
const unsampledRemote = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319d', spanId: 'b7ad6b7169203332', traceFlags: TraceFlags.NONE, isRemote: true,
});
const invalidParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'not-hex', spanId: 'zz', traceFlags: TraceFlags.SAMPLED });

type Made = { spans: ReadableSpan[]; returned: Span[] };
type Calls = (p: TracerProvider, out: Span[]) => void;

function run(kind: 'sdk' | 'recording', calls: Calls): Made {
  const exporter = new InMemorySpanExporter();
  const spanProcessors = [new SimpleSpanProcessor(exporter)];
  const provider = kind === 'sdk' ? new BasicTracerProvider({ resource, spanProcessors }) : new RecordingTracerProvider({ resource, spanProcessors });
  const returned: Span[] = [];
  calls(provider, returned);
  return { spans: exporter.getFinishedSpans(), returned };
}

/** What a span holds, without its random ids and with its times as offsets from the first span's start. */
function shape({ spans, returned }: Made) {
  const names = new Map(spans.map((s) => [s.spanContext().spanId, s.name]));
  const t0 = spans[0] ? spans[0].startTime[0] * 1e3 + spans[0].startTime[1] / 1e6 : 0;
  const ms = (t: [number, number]) => Math.round(t[0] * 1e3 + t[1] / 1e6 - t0);
  return {
    returned: returned.map((s) => ({ recording: s.isRecording(), flags: s.spanContext().traceFlags, valid: trace.isSpanContextValid(s.spanContext()) })),
    spans: spans.map((s) => ({
      name: s.name, kind: s.kind, scope: s.instrumentationScope, resource: s.resource.attributes,
      flags: s.spanContext().traceFlags, traceState: s.spanContext().traceState?.serialize(),
      remoteTrace: s.spanContext().traceId === '0af7651916cd43dd8448eb211c80319c',
      parent: s.parentSpanContext ? names.get(s.parentSpanContext.spanId) ?? s.parentSpanContext.spanId : undefined,
      attributes: s.attributes, status: s.status, ended: s.ended,
      events: s.events.map((e) => ({ name: e.name, attributes: e.attributes, dropped: e.droppedAttributesCount, at: ms(e.time) })),
      links: s.links.map((l) => ({ spanId: l.context.spanId, attributes: l.attributes, dropped: l.droppedAttributesCount })),
      dropped: [s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount],
      start: ms(s.startTime), end: ms(s.endTime), durationOk: s.duration[0] >= 0,
    })),
  };
}

const same = (calls: Calls) => {
  const sdk = run('sdk', calls);
  const ours = run('recording', calls);
  expect(shape(ours)).toEqual(shape(sdk));
  return ours;
};

afterEach(() => {
  vi.unstubAllEnvs();
  context.disable();
});

describe('RecordingTracerProvider against the SDK', () => {
  it('roots, children, remote and invalid parents, trace state, the root option, kinds and scopes', () => {
    same((p, out) => {
      const t = p.getTracer('tsfn');
      const other = p.getTracer('@opentelemetry/instrumentation-ioredis', '0.71.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.27.0' });
      const root = t.startSpan('root', { kind: SpanKind.SERVER, startTime: 1_700_000_000_000 }, ROOT_CONTEXT);
      const under = trace.setSpan(ROOT_CONTEXT, root);
      other.startSpan('child', { kind: SpanKind.CLIENT, startTime: 1_700_000_000_001 }, under).end(1_700_000_000_002);
      t.startSpan('remote child', { startTime: 1_700_000_000_003 }, remote).end(1_700_000_000_004);
      t.startSpan('under an invalid parent', { startTime: 1_700_000_000_003 }, invalidParent).end(1_700_000_000_004);
      t.startSpan('forced root', { root: true, startTime: 1_700_000_000_005 }, under).end(1_700_000_000_006);
      out.push(t.startSpan('suppressed', {}, suppressTracing(under)));
      root.end(1_700_000_000_010);
    });
  });

  it('attributes: invalid ones dropped, arrays copied, the count and value length limits', () => {
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', '6');
    vi.stubEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', '5');
    const list = ['abcdefgh', 'x'];
    const ours = same((p) => {
      const s = p.getTracer('t').startSpan('attrs', {
        startTime: [1_700_000_000, 0],
        attributes: { a: 'long value here', b: 1, '': 'empty key', c: { no: 1 } as never, d: null as never, list, mixed: [1, 'a'] as never },
      });
      s.setAttribute('e', true);
      s.setAttributes({ f: 2.5, g: 'dropped: over the limit', a: 'overwritten' });
      s.setAttribute('h', undefined as never);
      s.end([1_700_000_001, 0]);
    });
    expect(ours.spans[0]!.attributes.list).not.toBe(list);
  });

  it('attributes without a value length limit, arrays still copied', () => {
    const list = ['abcdefgh', 'x'];
    const ours = same((p) => {
      p.getTracer('t').startSpan('attrs', { startTime: [1_700_000_000, 0], attributes: { long: 'x'.repeat(1000), list } }).end([1_700_000_001, 0]);
    });
    expect(ours.spans[0]!.attributes.list).not.toBe(list);
  });

  it('events, links and exceptions, with their limits', () => {
    vi.stubEnv('OTEL_SPAN_EVENT_COUNT_LIMIT', '3');
    vi.stubEnv('OTEL_SPAN_LINK_COUNT_LIMIT', '2');
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT', '1');
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT', '1');
    same((p) => {
      const t = p.getTracer('t');
      const linked = trace.getSpanContext(remote)!;
      const s = t.startSpan('events', { startTime: 1_700_000_000_000, links: [{ context: linked, attributes: { x: 1, y: 2 } }] });
      s.addEvent('plain', 1_700_000_000_001);
      s.addEvent('with attributes', { k: 'v', k2: 'dropped' }, 1_700_000_000_002);
      s.addLink({ context: linked });
      s.addLinks([{ context: linked, attributes: { z: 'z' } }]);
      const err = Object.assign(new Error('boom'), { code: 'E_BOOM' });
      err.stack = 'Error: boom\n    at here';
      s.recordException(err, 1_700_000_000_003);
      s.recordException('just a message', 1_700_000_000_004);
      s.recordException({} as Error);
      s.end(1_700_000_000_010);
    });
  });

  it('status, names and what happens after end', () => {
    same((p) => {
      const t = p.getTracer('t');
      const a = t.startSpan('a', { startTime: 1_700_000_000_000 });
      a.setStatus({ code: SpanStatusCode.ERROR, message: 'first' });
      a.setStatus({ code: SpanStatusCode.UNSET });
      a.setStatus({ code: SpanStatusCode.OK });
      a.setStatus({ code: SpanStatusCode.ERROR, message: 'after ok' });
      a.updateName('a renamed');
      a.end(1_700_000_000_001);
      a.setAttribute('late', 1);
      a.updateName('too late');
      a.end(1_700_000_000_002);
      const b = t.startSpan('b', { startTime: 1_700_000_000_000 });
      b.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
      b.end(1_699_999_999_000);
    });
  });

  it('times: Dates, HrTimes, epoch and performance milliseconds, and the clock', () => {
    const calls = (p: TracerProvider) => {
      const t = p.getTracer('t');
      t.startSpan('date', { startTime: new Date(1_700_000_000_000) }).end(new Date(1_700_000_000_500));
      t.startSpan('hr', { startTime: [1_700_000_000, 5] }).end([1_700_000_001, 7]);
      t.startSpan('epoch ms', { startTime: 1_700_000_000_250.5 }).end(1_700_000_000_750);
      const p0 = performance.now();
      t.startSpan('perf', { startTime: p0 - 12.5 }).end(p0);
      t.startSpan('given start, no end', { startTime: Date.now() }).end();
      t.startSpan('now').end();
    };
    const sdk = run('sdk', calls).spans;
    const ours = run('recording', calls).spans;
    const abs = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    for (let i = 0; i < 3; i++) {
      expect([ours[i]!.startTime, ours[i]!.endTime, ours[i]!.duration]).toEqual([sdk[i]!.startTime, sdk[i]!.endTime, sdk[i]!.duration]);
    }
    for (let i = 3; i < 6; i++) {
      expect(Math.abs(abs(ours[i]!.startTime) - Date.now())).toBeLessThan(1000);
      expect(ours[i]!.duration[0]).toBeGreaterThanOrEqual(0);
    }
    expect(abs(ours[3]!.duration)).toBeCloseTo(12.5, 3);
    expect(abs(ours[3]!.duration)).toBeCloseTo(abs(sdk[3]!.duration), 3);
  });

  it('samplers from the environment, recorded or not, and the context they propagate', () => {
    for (const sampler of ['always_on', 'always_off', 'parentbased_always_on', 'parentbased_always_off', 'traceidratio', 'nonsense']) {
      vi.stubEnv('OTEL_TRACES_SAMPLER', sampler);
      vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0');
      same((p, out) => {
        const t = p.getTracer('t');
        const at = { startTime: 1_700_000_000_000 };
        out.push(t.startSpan('root', at, ROOT_CONTEXT), t.startSpan('under sampled', at, remote), t.startSpan('under unsampled', at, unsampledRemote));
        for (const s of out) s.end(1_700_000_000_001);
      });
    }
  });

  it('startActiveSpan makes the span active for the callback and returns its result', () => {
    context.setGlobalContextManager(new SyncContextManager());
    same((p) => {
      const t = p.getTracer('t');
      const r = t.startActiveSpan('outer', { startTime: 1_700_000_000_000 }, (outer) => {
        t.startSpan('inner', { startTime: 1_700_000_000_001 }).end(1_700_000_000_002);
        outer.end(1_700_000_000_003);
        return 7;
      });
      expect(r).toBe(7);
      t.startActiveSpan('with context', { startTime: 1_700_000_000_004 }, remote, (s) => s.end(1_700_000_000_005));
    });
    const { spans } = run('recording', (p) => {
      expect(p.getTracer('t').startActiveSpan('two arguments', (s) => {
        expect(trace.getSpan(context.active())).toBe(s);
        s.end();
        return 'done';
      })).toBe('done');
    });
    expect(spans.map((s) => s.name)).toEqual(['two arguments']);
  });

  it('gives spans the OTLP encoder writes as the SDK serialiser would', () => {
    const { spans } = run('recording', (p) => {
      const s = p.getTracer('t').startSpan('encoded', { kind: SpanKind.CLIENT, attributes: { n: 1, s: 'x' } }, remote);
      s.addEvent('e', { k: 'v' });
      s.setStatus({ code: SpanStatusCode.ERROR, message: 'm' });
      s.end();
    });
    const e = new BatchEncoder();
    for (const s of spans) e.add(s);
    expect(Buffer.from(e.seal().bytes).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!))).toBe(true);
  });
});

describe('PooledIdGenerator', () => {
  it('gives valid, distinct W3C ids across refills of its pool', () => {
    const ids = new PooledIdGenerator();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const traceId = ids.generateTraceId();
      const spanId = ids.generateSpanId();
      expect(trace.isSpanContextValid({ traceId, spanId, traceFlags: 1 })).toBe(true);
      seen.add(traceId).add(spanId);
    }
    expect(seen.size).toBe(2000);
  });
});
