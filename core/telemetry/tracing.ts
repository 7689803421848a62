import { context, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter, type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { EncodingSpanProcessor } from './otlp/encoding-span-processor.js';
import { otlpHttpSender } from './otlp/otlp-http-sender.js';
import { RecordingTracerProvider } from './tracer/recording-tracer-provider.js';
import { instrumentClients } from './client-instrumentations.js';
import { readOtelEnv, type OtelEnv, type PushExporter } from './otel-env.js';
import { SyncContextManager } from './sync-context.js';
import { telemetryResource } from './resource.js';
import { forgetTracer } from './trace-context.js';

export interface TracingOptions {
  /** service.name, unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES name one. */
  serviceName: string;
  /**
   * Export every span here, synchronously as it ends, instead of where the
   * environment says (tests: an InMemorySpanExporter).
   */
  exporter?: SpanExporter;
  env?: NodeJS.ProcessEnv;
  /** Where ignored settings are reported (default stderr). */
  log?: (line: string) => void;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered, then uninstalls everything startTracing installed. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => {} };
let current: Tracing = OFF;

/** Whether startTracing installed tracing in this process. */
export const tracingEnabled = (): boolean => current.enabled;

/**
 * Tracing for this process, from the OTEL_* environment (see otel-env.ts).
 * When nothing asks for it, nothing is installed: the OpenTelemetry API stays
 * a no-op, no context manager tracks async work and no client is patched.
 * When on: a tracer provider (RecordingTracerProvider: the SDK's settings,
 * samplers and span processors, a leaner span) with batched export, a
 * synchronous context manager (context is passed explicitly across await:
 * sync-context.ts), W3C
 * trace context and baggage propagation, and the Redis and PostgreSQL client
 * instrumentations. One per process: a second call
 * returns the first.
 */
export function startTracing(opts: TracingOptions): Tracing {
  if (current.enabled) return current;
  const env = readOtelEnv(opts.env);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const w of env.warnings) log(`telemetry: ${w}`);
  const processors = opts.exporter
    ? [new SimpleSpanProcessor(opts.exporter)]
    : env.traces.map((name) => spanProcessor(name, env));
  if (!processors.length) return OFF;

  const provider = new RecordingTracerProvider({ resource: telemetryResource(opts.serviceName), spanProcessors: processors });
  const contextManager = new SyncContextManager();
  if (context.setGlobalContextManager(contextManager)) contextManager.enable();
  trace.setGlobalTracerProvider(provider);
  forgetTracer();
  propagation.setGlobalPropagator(new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }));
  const uninstrument = instrumentClients();
  current = {
    enabled: true,
    async shutdown() {
      current = OFF;
      uninstrument();
      await provider.shutdown();
      trace.disable();
      forgetTracer();
      propagation.disable();
      context.disable();
    },
  };
  return current;
}

/**
 * Batched export, as the SDK's BatchSpanProcessor does it. OTLP/protobuf, the
 * default protocol, is encoded as each span ends (EncodingSpanProcessor),
 * which costs the platform less than the SDK's batch-then-serialise.
 */
function spanProcessor(name: PushExporter, env: OtelEnv): SpanProcessor {
  if (name === 'console') return new BatchSpanProcessor(new ConsoleSpanExporter());
  if (env.protocol.TRACES === 'http/json') return new BatchSpanProcessor(new OtlpJsonTraceExporter());
  return new EncodingSpanProcessor(otlpHttpSender());
}
