import { describe, expect, it } from 'vitest';
import { readOtelEnv } from './otel-env.js';

describe('readOtelEnv', () => {
  it('exports nothing when nothing is configured', () => {
    expect(readOtelEnv({})).toMatchObject({ traces: [], metrics: [], warnings: [] });
  });

  it('turns OTLP on for both signals when an endpoint is set, with http/protobuf by default', () => {
    const e = readOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
    expect(e).toMatchObject({ traces: ['otlp'], metrics: ['otlp'], protocol: { TRACES: 'http/protobuf', METRICS: 'http/protobuf' } });
    expect(readOtelEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x/v1/traces' })).toMatchObject({ traces: ['otlp'], metrics: [] });
  });

  it('follows the exporter lists, none and OTEL_SDK_DISABLED', () => {
    expect(readOtelEnv({ OTEL_TRACES_EXPORTER: 'console, otlp', OTEL_METRICS_EXPORTER: 'prometheus' })).toMatchObject({ traces: ['console', 'otlp'], metrics: [] });
    expect(readOtelEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toMatchObject({ traces: [], metrics: ['otlp'] });
    expect(readOtelEnv({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp' })).toMatchObject({ traces: [], metrics: [] });
  });

  it('reads the protocol per signal and reports what it cannot do', () => {
    const e = readOtelEnv({
      OTEL_TRACES_EXPORTER: 'otlp,zipkin', OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc', OTEL_METRIC_EXPORT_INTERVAL: '5000',
    });
    expect(e.traces).toEqual(['otlp']);
    expect(e.protocol).toEqual({ TRACES: 'http/json', METRICS: 'http/protobuf' });
    expect(e.metricIntervalMs).toBe(5000);
    expect(e.warnings).toHaveLength(2);
    expect(e.warnings.join('\n')).toMatch(/zipkin[\s\S]*grpc/);
  });
});
