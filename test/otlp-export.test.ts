/**
 * The OTLP/protobuf path tracing takes by default (EncodingSpanProcessor and
 * otlpHttpSender), over real HTTP to the stand-in collector: what arrives is
 * byte for byte what the SDK's own serialiser makes of the same spans, and
 * startTracing with only the standard variables set sends it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { paths } from '../core/paths.js';
import { EncodingSpanProcessor } from '../core/telemetry/otlp/encoding-span-processor.js';
import { otlpHttpSender } from '../core/telemetry/otlp/otlp-http-sender.js';
import { startTracing } from '../core/telemetry/tracing.js';
import { telemetryResource } from '../core/telemetry/resource.js';

let sink: ChildProcess;
let url: string;

beforeAll(async () => {
  sink = spawn(process.execPath, [join(paths.root, 'test', 'support', 'otlp-sink.mjs')], {
    env: { PATH: process.env.PATH, OTLP_SINK_KEEP: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(sink.stdout!, 'data') as [Buffer];
  url = `http://127.0.0.1:${line.toString().trim()}`;
});

afterAll(async () => {
  if (sink.exitCode === null) {
    sink.kill('SIGTERM');
    await once(sink, 'exit');
  }
});

const kept = async (): Promise<Buffer[]> =>
  ((await (await fetch(`${url}/traces`)).json()) as Array<{ protobuf?: string }>).filter((d) => d.protobuf).map((d) => Buffer.from(d.protobuf!, 'base64'));

describe('OTLP/protobuf export over HTTP', () => {
  it('delivers exactly the bytes otlp-transformer would for the same spans', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', `${url}/v1/traces`);
    try {
      const before = (await kept()).length;
      const copies = new InMemorySpanExporter();
      const processor = new EncodingSpanProcessor(otlpHttpSender(), { scheduledDelayMillis: 60_000, maxExportBatchSize: 100 });
      const provider = new BasicTracerProvider({ resource: telemetryResource('otlp-test'), spanProcessors: [processor, new SimpleSpanProcessor(copies)] });
      const t = provider.getTracer('tsfn');
      const root = t.startSpan('GET /fn/:name/*', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET' } });
      const ctx = trace.setSpan(ROOT_CONTEXT, root);
      for (let i = 0; i < 150; i++) {
        const s = t.startSpan(`child ${i}`, { kind: SpanKind.CLIENT, attributes: { i, 'db.query.text': 'evalsha 1234 3 a b c' } }, ctx);
        if (i % 7 === 0) s.setStatus({ code: SpanStatusCode.ERROR, message: 'nope' });
        s.end();
      }
      root.end();
      await provider.forceFlush();
      const bodies = (await kept()).slice(before);
      const all = copies.getFinishedSpans();
      expect(bodies).toHaveLength(2);
      expect(bodies[0]!.equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(all.slice(0, 100))!))).toBe(true);
      expect(bodies[1]!.equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(all.slice(100))!))).toBe(true);
      await provider.shutdown();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('is what startTracing installs when the standard variables ask for OTLP with the default protocol', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', url);
    const before = await (await fetch(`${url}/stats`)).json() as { spans: number; requests: { traces: number } };
    const tracing = startTracing({ serviceName: 'otlp-test', env: { OTEL_EXPORTER_OTLP_ENDPOINT: url } });
    try {
      expect(tracing.enabled).toBe(true);
      const t = trace.getTracer('tsfn');
      for (let i = 0; i < 5; i++) t.startSpan(`span ${i}`).end();
    } finally {
      await tracing.shutdown();
      vi.unstubAllEnvs();
    }
    const after = await (await fetch(`${url}/stats`)).json() as { spans: number; requests: { traces: number } };
    expect(after.spans - before.spans).toBe(5);
    expect(after.requests.traces - before.requests.traces).toBe(1);
  });
});
