/**
 * What the standard OpenTelemetry environment variables ask of a process
 * (OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER,
 * OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]ENDPOINT and _PROTOCOL,
 * OTEL_METRIC_EXPORT_INTERVAL). The exporters themselves read the rest
 * (headers, timeouts, compression, OTEL_BSP_*, OTEL_TRACES_SAMPLER,
 * OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES).
 *
 * One deliberate difference from the specification's defaults: with no
 * exporter named and no OTLP endpoint set, nothing is exported, so that an
 * unconfigured platform pays nothing for tracing. Prometheus metrics at the
 * gateway's /metrics are served either way.
 */
export type PushExporter = 'otlp' | 'console';
export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type Signal = 'TRACES' | 'METRICS';

export interface OtelEnv {
  traces: PushExporter[];
  metrics: PushExporter[];
  protocol: Record<Signal, OtlpProtocol>;
  metricIntervalMs: number;
  /** Settings that were ignored, one line each, for the process to print once. */
  warnings: string[];
}

const PUSH = new Set<string>(['otlp', 'console']);
/** Names the spec allows that need no exporter here (prometheus is the gateway's /metrics). */
const QUIET = new Set<string>(['none', 'prometheus']);

export function readOtelEnv(env: NodeJS.ProcessEnv = process.env): OtelEnv {
  const warnings: string[] = [];
  const get = (k: string) => env[k]?.trim() || undefined;
  const disabled = get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  const exporters = (signal: Signal): PushExporter[] => {
    if (disabled) return [];
    const named = get(`OTEL_${signal}_EXPORTER`);
    if (named === undefined) {
      return get('OTEL_EXPORTER_OTLP_ENDPOINT') || get(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) ? ['otlp'] : [];
    }
    const names = named.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    if (names.includes('none')) return [];
    for (const n of names) if (!PUSH.has(n) && !QUIET.has(n)) warnings.push(`OTEL_${signal}_EXPORTER: "${n}" is not supported here (otlp, console, none), ignored`);
    return [...new Set(names.filter((n): n is PushExporter => PUSH.has(n)))];
  };
  const protocol = (signal: Signal): OtlpProtocol => {
    const p = get(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ?? get('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
    if (p === 'http/protobuf' || p === 'http/json') return p;
    warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL "${p}" is not supported here (http/protobuf, http/json): using http/protobuf, port 4318 by default`);
    return 'http/protobuf';
  };
  const interval = Number(get('OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000);
  const traces = exporters('TRACES');
  const metrics = exporters('METRICS');
  return {
    traces, metrics,
    protocol: { TRACES: traces.includes('otlp') ? protocol('TRACES') : 'http/protobuf', METRICS: metrics.includes('otlp') ? protocol('METRICS') : 'http/protobuf' },
    metricIntervalMs: Number.isFinite(interval) && interval > 0 ? interval : 60_000,
    warnings,
  };
}
