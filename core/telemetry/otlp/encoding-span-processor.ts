import { context, diag, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, getNumberFromEnv, globalErrorHandler, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BatchEncoder, type EncodedBatch } from './encoded-batch.js';

/** Where sealed batches go: the OTLP/HTTP transport (otlp-http-sender.ts) or a test's. */
export interface BatchSender {
  send(batch: EncodedBatch, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export interface BatchOptions {
  maxExportBatchSize?: number;
  maxQueueSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

/**
 * The SDK's BatchSpanProcessor, with the same settings (OTEL_BSP_*, the same
 * defaults) and the same behaviour (one export at a time, a batch when
 * maxExportBatchSize spans are waiting or scheduledDelayMillis after the
 * first, spans beyond maxQueueSize dropped, exports untraced), except that
 * a span is encoded to OTLP/protobuf as it ends and only its bytes wait for
 * the export. The SDK's processor keeps every span object until its batch
 * goes, long enough to be promoted out of V8's young generation and to be
 * cold in the cache when the serialiser reads it again; measured through the
 * platform, that cost more than the encoding itself (BENCHMARKS.md).
 * Unlike the SDK's, it does not wait for a resource's asynchronous
 * attributes before a batch goes: the resource is read as the batch is
 * sealed, and tsfn's (resource.ts) has none.
 */
export class EncodingSpanProcessor implements SpanProcessor {
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly delayMs: number;
  private readonly timeoutMs: number;
  private readonly encoder = new BatchEncoder();
  /** Sealed batches waiting for their export, oldest first. */
  private readonly sealed: EncodedBatch[] = [];
  private queued = 0;
  private dropped = 0;
  private exporting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private shutdownPromise: Promise<void> | undefined;

  constructor(private readonly sender: BatchSender, opts: BatchOptions = {}) {
    const setting = (v: number | undefined, env: string, fallback: number) => v ?? getNumberFromEnv(env) ?? fallback;
    this.maxQueue = setting(opts.maxQueueSize, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048);
    this.maxBatch = setting(opts.maxExportBatchSize, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512);
    this.delayMs = setting(opts.scheduledDelayMillis, 'OTEL_BSP_SCHEDULE_DELAY', 5000);
    this.timeoutMs = setting(opts.exportTimeoutMillis, 'OTEL_BSP_EXPORT_TIMEOUT', 30000);
    if (this.maxBatch > this.maxQueue) {
      diag.warn('BatchSpanProcessor: maxExportBatchSize must be smaller or equal to maxQueueSize, setting maxExportBatchSize to match maxQueueSize');
      this.maxBatch = this.maxQueue;
    }
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.shutdownPromise || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.maxQueue) {
      if (this.dropped++ === 0) diag.debug('maxQueueSize reached, dropping spans');
      return;
    }
    if (this.dropped > 0) {
      diag.warn(`Dropped ${this.dropped} spans because maxQueueSize reached`);
      this.dropped = 0;
    }
    this.encoder.add(span);
    this.queued++;
    if (this.encoder.count >= this.maxBatch) this.sealed.push(this.encoder.seal());
    this.schedule();
  }

  forceFlush(): Promise<void> {
    return this.shutdownPromise ?? this.flushAll();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.flushAll().then(() => this.sender.shutdown());
    return this.shutdownPromise;
  }

  /** Starts an export now when a full batch waits, else arms the timer for the first span waiting. */
  private schedule(): void {
    if (this.exporting) return;
    if (this.sealed.length) {
      this.clearTimer();
      this.exporting = this.exportNext().catch(globalErrorHandler).finally(() => {
        this.exporting = undefined;
        if (this.queued > 0) this.schedule();
      });
      return;
    }
    if (this.timer || this.queued === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sealOpen();
      this.schedule();
    }, this.delayMs);
    this.timer.unref();
  }

  private async flushAll(): Promise<void> {
    this.clearTimer();
    this.sealOpen();
    const sends: Promise<void>[] = [];
    if (this.exporting) sends.push(this.exporting);
    while (this.sealed.length) sends.push(this.exportNext());
    await Promise.all(sends);
  }

  private sealOpen(): void {
    if (this.encoder.count > 0) this.sealed.push(this.encoder.seal());
  }

  private exportNext(): Promise<void> {
    const batch = this.sealed.shift();
    if (!batch) return Promise.resolve();
    this.queued -= batch.spans;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Timeout')), this.timeoutMs);
      context.with(suppressTracing(context.active()), () => {
        this.sender.send(batch, (result) => {
          clearTimeout(timer);
          if (result.code === ExportResultCode.SUCCESS) {
            // The collector answered after reading the whole request, so its
            // bytes are no longer in use. After a failure they might still be
            // (an early answer while the body is being written): left to the GC.
            this.encoder.recycle(batch);
            resolve();
          } else reject(result.error ?? new Error('BatchSpanProcessor: span export failed'));
        });
      });
    });
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
