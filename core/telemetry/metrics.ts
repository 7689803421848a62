import type { Meter } from '@opentelemetry/api';
import { OTLPMetricExporter as OtlpJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  ConsoleMetricExporter, MeterProvider, MetricReader, PeriodicExportingMetricReader, type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { toFamilies, type MetricFamily } from './metric-families.js';
import { readOtelEnv, type OtelEnv, type PushExporter } from './otel-env.js';
import { telemetryResource } from './resource.js';

const live = new Set<Metrics>();

/** Pushes and stops every component's metrics made in this process (at exit). */
export async function shutdownMetrics(): Promise<void> {
  await Promise.all([...live].map((m) => m.shutdown()));
}

/** A reader that exports nothing by itself: /metrics and the heartbeat pull from it. */
class PullReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

export interface Metrics {
  meter: Meter;
  /** What the instruments hold now (cumulative since start), as Prometheus families. */
  collect(): Promise<MetricFamily[]>;
  /** Pushes what is pending (OTLP) and stops. */
  shutdown(): Promise<void>;
}

/**
 * The metrics of one component (a gateway, an invoker): always collected
 * for pulling, and also pushed when OTEL_METRICS_EXPORTER (or an OTLP
 * endpoint) asks for it. A provider of its own rather than the global one, so
 * that a gateway and an invoker in one process (tests) keep theirs apart.
 */
export function createMetrics(serviceName: string, env: NodeJS.ProcessEnv = process.env): Metrics {
  const otel = readOtelEnv(env);
  const pull = new PullReader();
  const push = otel.metrics.map((name) => new PeriodicExportingMetricReader({
    exporter: metricExporter(name, otel), exportIntervalMillis: otel.metricIntervalMs,
    exportTimeoutMillis: Math.min(30_000, otel.metricIntervalMs),
  }));
  const provider = new MeterProvider({ resource: telemetryResource(serviceName), readers: [pull, ...push] });
  const metrics: Metrics = {
    meter: provider.getMeter('tsfn'),
    async collect() {
      const { resourceMetrics } = await pull.collect();
      return toFamilies(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics));
    },
    async shutdown() {
      if (!live.delete(metrics)) return;
      await provider.shutdown();
    },
  };
  live.add(metrics);
  return metrics;
}

function metricExporter(name: PushExporter, env: OtelEnv): PushMetricExporter {
  if (name === 'console') return new ConsoleMetricExporter();
  return env.protocol.METRICS === 'http/json' ? new OtlpJsonMetricExporter() : new OtlpProtoMetricExporter();
}

/** Bucket bounds, in seconds, of tsfn's latency histograms: 1 ms to the longest timeout (900 s). */
export const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
