import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtoWriter } from './proto-writer.js';
import { encodeResource, encodeScope, encodeSpan } from './span-encoder.js';

/** An ExportTraceServiceRequest, encoded, and how many spans it holds. */
export interface EncodedBatch {
  bytes: Uint8Array;
  spans: number;
}

interface ScopeSpans {
  scope: InstrumentationScope;
  spans: ProtoWriter;
}

/** Request buffers kept for reuse; more are dropped (an export takes one, and a few may wait sealed). */
const MAX_SPARE_REQUESTS = 4;

/**
 * The spans of one batch as they end, encoded at once and grouped by resource
 * and instrumentation scope (by identity, as ProtobufTraceSerializer groups
 * them), until seal() wraps them in the request's envelope. The writers are
 * kept and reused by the next batch, and so is a request's buffer once its
 * export is done with it (recycle): a fresh buffer of some 100 KB a batch
 * would be new memory to the kernel each time, a page fault every 4 KiB
 * (about 20 µs each on the VMs BENCHMARKS.md describes).
 */
export class BatchEncoder {
  private readonly groups = new Map<Resource, Map<InstrumentationScope, ScopeSpans>>();
  private readonly spare: ProtoWriter[] = [];
  private readonly spareRequests: Buffer[] = [];
  private readonly requestBuffers = new WeakMap<EncodedBatch, Buffer>();
  count = 0;

  add(span: ReadableSpan): void {
    let scopes = this.groups.get(span.resource);
    if (!scopes) this.groups.set(span.resource, scopes = new Map());
    let group = scopes.get(span.instrumentationScope);
    if (!group) {
      group = { scope: span.instrumentationScope, spans: this.spare.pop() ?? new ProtoWriter() };
      scopes.set(span.instrumentationScope, group);
    }
    encodeSpan(group.spans, span);
    this.count++;
  }

  /** The request with every span added since the last seal; the encoder is empty after. */
  seal(): EncodedBatch {
    // Each message's length is known before its spans' bytes are copied: the
    // small parts (resource, scope, schema URLs) are encoded apart first, so
    // the request is written front to back and no span's bytes move twice.
    const out = new ProtoWriter(this.requestBuffer(256 + this.spanBytes()));
    for (const [resource, scopes] of this.groups) {
      const res = encoded((w) => encodeResource(w, resource, 1));
      const resTail = schemaUrl(resource.schemaUrl);
      const parts = [...scopes.values()].map(({ scope, spans }) => {
        const head = encoded((w) => encodeScope(w, scope, 1));
        const tail = schemaUrl(scope.schemaUrl);
        return { head, body: spans.view(), tail, len: head.length + spans.pos + tail.length };
      });
      out.tag(1, 2);
      out.varint(parts.reduce((n, p) => n + 1 + varintSize(p.len) + p.len, res.length + resTail.length));
      out.raw(res);
      for (const p of parts) {
        out.tag(2, 2);
        out.varint(p.len);
        out.raw(p.head);
        out.raw(p.body);
        out.raw(p.tail);
      }
      out.raw(resTail);
    }
    const batch = { bytes: out.view(), spans: this.count };
    this.requestBuffers.set(batch, out.buf);
    for (const scopes of this.groups.values()) for (const { spans } of scopes.values()) {
      spans.reset();
      this.spare.push(spans);
    }
    this.groups.clear();
    this.count = 0;
    return batch;
  }

  /**
   * Takes `batch`'s buffer back for a later seal. Call it only when nothing
   * reads `batch.bytes` any more: the next batch overwrites them.
   */
  recycle(batch: EncodedBatch): void {
    const buf = this.requestBuffers.get(batch);
    if (!buf) return;
    this.requestBuffers.delete(batch);
    if (this.spareRequests.length < MAX_SPARE_REQUESTS) this.spareRequests.push(buf);
  }

  /** A buffer of at least `size` bytes of its own (never a slice of Node's shared pool). */
  private requestBuffer(size: number): Buffer {
    const spare = this.spareRequests.pop();
    if (spare && spare.length >= size) return spare;
    // A quarter more than asked, so that the next batches, of about the same size, fit.
    return Buffer.allocUnsafeSlow(Math.max(size + (size >> 2), 4096));
  }

  private spanBytes(): number {
    let n = 0;
    for (const scopes of this.groups.values()) for (const { spans } of scopes.values()) n += spans.pos;
    return n;
  }
}

const EMPTY = new Uint8Array(0);

function encoded(write: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter(64);
  write(w);
  return w.view();
}

/** The schema_url field (3) of ResourceSpans or ScopeSpans, when there is one. */
function schemaUrl(url: string | undefined): Uint8Array {
  return url ? encoded((w) => { w.tag(3, 2); w.string(url); }) : EMPTY;
}

function varintSize(v: number): number {
  let n = 1;
  for (let x = v; x > 0x7f; x = Math.floor(x / 128)) n++;
  return n;
}
