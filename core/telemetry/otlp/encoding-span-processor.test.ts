import { trace, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EncodedBatch } from './encoded-batch.js';
import { EncodingSpanProcessor, type BatchSender, type BatchOptions } from './encoding-span-processor.js';

/** A sender that keeps what it is given and answers when the test says (pure logic; the real transport is in test/otlp-export.test.ts). */
class HeldSender implements BatchSender {
  readonly batches: EncodedBatch[] = [];
  readonly pending: Array<(r: ExportResult) => void> = [];
  shutdowns = 0;
  send(batch: EncodedBatch, done: (r: ExportResult) => void): void {
    this.batches.push(batch);
    this.pending.push(done);
  }
  answer(code = ExportResultCode.SUCCESS): void {
    this.pending.shift()!({ code });
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

function setup(opts: BatchOptions) {
  const sender = new HeldSender();
  const processor = new EncodingSpanProcessor(sender, opts);
  const copies = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [processor, new SimpleSpanProcessor(copies)] });
  const tracer = provider.getTracer('t');
  const end = (n: number) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`).end();
  };
  return { sender, processor, copies, end, tracer };
}

const expectBytes = (batch: EncodedBatch, spans: ReadableSpan[]) => {
  expect(batch.spans).toBe(spans.length);
  expect(Buffer.from(batch.bytes).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!))).toBe(true);
};

afterEach(() => {
  vi.useRealTimers();
});

describe('EncodingSpanProcessor', () => {
  it('sends a batch as soon as maxExportBatchSize spans have ended, one export at a time', async () => {
    const { sender, copies, end } = setup({ maxExportBatchSize: 3, maxQueueSize: 10, scheduledDelayMillis: 60_000 });
    end(2);
    expect(sender.batches).toHaveLength(0);
    end(1);
    expect(sender.batches).toHaveLength(1);
    expectBytes(sender.batches[0]!, copies.getFinishedSpans().slice(0, 3));
    end(3);
    expect(sender.batches).toHaveLength(1);
    sender.answer();
    await vi.waitFor(() => expect(sender.batches).toHaveLength(2));
    expectBytes(sender.batches[1]!, copies.getFinishedSpans().slice(3, 6));
  });

  it('sends what waits scheduledDelayMillis after the first span, and nothing when nothing waits', async () => {
    vi.useFakeTimers();
    const { sender, end } = setup({ maxExportBatchSize: 100, scheduledDelayMillis: 1000 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(sender.batches).toHaveLength(0);
    end(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(sender.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sender.batches.map((b) => b.spans)).toEqual([2]);
  });

  it('drops spans beyond maxQueueSize while an export is in flight, and takes them again after', async () => {
    const { sender, copies, end } = setup({ maxExportBatchSize: 2, maxQueueSize: 4, scheduledDelayMillis: 60_000 });
    end(2);
    expect(sender.batches).toHaveLength(1);
    end(6);
    sender.answer();
    await vi.waitFor(() => expect(sender.batches).toHaveLength(2));
    sender.answer();
    await vi.waitFor(() => expect(sender.batches).toHaveLength(3));
    sender.answer();
    expect(sender.batches.map((b) => b.spans)).toEqual([2, 2, 2]);
    // Spans 6 and 7 found the queue full (2 in flight do not count, 4 waiting do).
    const all = copies.getFinishedSpans();
    expectBytes(sender.batches[2]!, all.slice(4, 6));
  });

  it('skips spans that are not sampled', () => {
    const { sender, processor } = setup({ maxExportBatchSize: 1 });
    const unsampled = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE });
    processor.onEnd(Object.assign(Object.create(null), { spanContext: () => unsampled.spanContext() }) as ReadableSpan);
    expect(sender.batches).toHaveLength(0);
  });

  it('forceFlush sends everything waiting, in batches, and resolves when answered', async () => {
    const { sender, processor, end } = setup({ maxExportBatchSize: 2, maxQueueSize: 10, scheduledDelayMillis: 60_000 });
    end(5);
    let flushed = false;
    const flush = processor.forceFlush().then(() => { flushed = true; });
    await vi.waitFor(() => expect(sender.batches.map((b) => b.spans)).toEqual([2, 2, 1]));
    sender.answer();
    sender.answer();
    await Promise.resolve();
    expect(flushed).toBe(false);
    sender.answer();
    await flush;
    expect(flushed).toBe(true);
  });

  it('rejects a flush whose export fails or times out', async () => {
    const { sender, processor, end } = setup({ maxExportBatchSize: 10, scheduledDelayMillis: 60_000, exportTimeoutMillis: 50 });
    end(1);
    const failed = processor.forceFlush();
    sender.answer(ExportResultCode.FAILED);
    await expect(failed).rejects.toThrow();
    end(1);
    await expect(processor.forceFlush()).rejects.toThrow('Timeout');
  });

  it('reuses a request buffer once its export succeeded, never one whose export failed', async () => {
    const { sender, copies, end } = setup({ maxExportBatchSize: 2, maxQueueSize: 10, scheduledDelayMillis: 60_000 });
    end(2);
    const ok = sender.batches[0]!;
    sender.answer();
    await vi.waitFor(() => expect(sender.pending).toHaveLength(0));
    end(2);
    await vi.waitFor(() => expect(sender.batches).toHaveLength(2));
    const failing = sender.batches[1]!;
    expect(failing.bytes.buffer).toBe(ok.bytes.buffer);
    expectBytes(failing, copies.getFinishedSpans().slice(2, 4));
    sender.answer(ExportResultCode.FAILED);
    await vi.waitFor(() => expect(sender.pending).toHaveLength(0));
    end(2);
    await vi.waitFor(() => expect(sender.batches).toHaveLength(3));
    expect(sender.batches[2]!.bytes.buffer).not.toBe(failing.bytes.buffer);
    expectBytes(failing, copies.getFinishedSpans().slice(2, 4));
    expectBytes(sender.batches[2]!, copies.getFinishedSpans().slice(4, 6));
  });

  it('shutdown flushes, shuts the sender down once, and ignores spans after', async () => {
    const { sender, processor, end } = setup({ maxExportBatchSize: 10, scheduledDelayMillis: 60_000 });
    end(3);
    const down = processor.shutdown();
    await vi.waitFor(() => expect(sender.batches).toHaveLength(1));
    sender.answer();
    await down;
    await processor.shutdown();
    expect(sender.shutdowns).toBe(1);
    end(3);
    await processor.forceFlush();
    expect(sender.batches).toHaveLength(1);
  });

  it('reads OTEL_BSP_* when no option is given', () => {
    vi.stubEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '2');
    try {
      const { sender, end } = setup({ scheduledDelayMillis: 60_000 });
      end(2);
      expect(sender.batches.map((b) => b.spans)).toEqual([2]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

