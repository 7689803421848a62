import type { Context, Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PooledIdGenerator } from './pooled-id-generator.js';
import { RecordingTracer, type TracerShared } from './recording-tracer.js';
import { tracerConfigFromEnv } from './tracer-config.js';

export interface RecordingTracerProviderOptions {
  resource: Resource;
  spanProcessors: SpanProcessor[];
}

/**
 * tsfn's tracer provider: the SDK's BasicTracerProvider's configuration
 * (sampler and span limits from the standard variables, any SDK span
 * processor), random W3C ids from a pool (PooledIdGenerator), and
 * RecordingTracer and RecordingSpan in place of the SDK's tracer and span.
 */
export class RecordingTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, RecordingTracer>();
  private readonly shared: TracerShared;

  constructor(opts: RecordingTracerProviderOptions) {
    const { sampler, limits } = tracerConfigFromEnv();
    this.shared = { resource: opts.resource, sampler, limits, ids: new PooledIdGenerator(), processor: fanOut(opts.spanProcessors) };
  }

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    const key = `${name}@${version || ''}:${options?.schemaUrl || ''}`;
    let tracer = this.tracers.get(key);
    if (!tracer) this.tracers.set(key, tracer = new RecordingTracer({ name, version, schemaUrl: options?.schemaUrl }, this.shared));
    return tracer;
  }

  forceFlush(): Promise<void> {
    return this.shared.processor.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.shared.processor.shutdown();
  }
}

/** One processor as it is, several as one that calls each in turn. */
function fanOut(processors: SpanProcessor[]): SpanProcessor {
  if (processors.length === 1) return processors[0]!;
  return {
    onStart: (span: Span, ctx: Context) => { for (const p of processors) p.onStart(span, ctx); },
    onEnding: (span: Span) => { for (const p of processors) p.onEnding?.(span); },
    onEnd: (span: ReadableSpan) => { for (const p of processors) p.onEnd(span); },
    forceFlush: async () => { await Promise.all(processors.map((p) => p.forceFlush())); },
    shutdown: async () => { await Promise.all(processors.map((p) => p.shutdown())); },
  };
}
