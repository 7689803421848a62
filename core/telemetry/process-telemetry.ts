import { shutdownMetrics } from './metrics.js';
import { startTracing } from './tracing.js';

export interface ProcessTelemetry {
  /** Exports what is pending (spans, OTLP metrics) and uninstalls tracing. */
  shutdown(): Promise<void>;
}

/**
 * Telemetry of one tsfn process (`tsfn gateway`, `invoker`, `meter`), set
 * up first thing, as the standard OTEL_* variables ask. `serviceName` is the
 * default service.name (tsfn-gateway...); OTEL_SERVICE_NAME overrides it.
 */
export function startTelemetry(serviceName: string): ProcessTelemetry {
  const tracing = startTracing({ serviceName });
  return {
    async shutdown() {
      await Promise.allSettled([shutdownMetrics(), tracing.shutdown()]);
    },
  };
}
