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

/**
 * The spans of one batch as they end, encoded at once and grouped by resource
 * and instrumentation scope (by identity, as ProtobufTraceSerializer groups
 * them), until seal() wraps them in the request's envelope. The writers are
 * kept and reused by the next batch.
 */
export class BatchEncoder {
  private readonly groups = new Map<Resource, Map<InstrumentationScope, ScopeSpans>>();
  private readonly spare: ProtoWriter[] = [];
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
    const parts: Uint8Array[] = [];
    let total = 0;
    const push = (b: Uint8Array) => {
      parts.push(b);
      total += b.length;
    };
    // Every length is known before any span's bytes are copied: the headers
    // are written apart, then the request is assembled in one buffer of the
    // exact size (no nested message moved to make room for its length).
    for (const [resource, scopes] of this.groups) {
      const scopeHeads: Array<{ head: Uint8Array; body: Uint8Array; tail: Uint8Array }> = [];
      let resourceLen = 0;
      for (const { scope, spans } of scopes.values()) {
        const head = encoded((w) => encodeScope(w, scope, 1));
        const tail = scope.schemaUrl ? encoded((w) => { w.tag(3, 2); w.string(scope.schemaUrl!); }) : EMPTY;
        const len = head.length + spans.pos + tail.length;
        const prefix = encoded((w) => { w.tag(2, 2); w.varint(len); });
        scopeHeads.push({ head: concat(prefix, head), body: spans.view(), tail });
        resourceLen += prefix.length + len;
      }
      const res = encoded((w) => encodeResource(w, resource, 1));
      const resTail = resource.schemaUrl ? encoded((w) => { w.tag(3, 2); w.string(resource.schemaUrl!); }) : EMPTY;
      push(encoded((w) => { w.tag(1, 2); w.varint(res.length + resourceLen + resTail.length); }));
      push(res);
      for (const s of scopeHeads) {
        push(s.head);
        push(s.body);
        push(s.tail);
      }
      push(resTail);
    }
    const bytes = Buffer.allocUnsafe(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    const batch = { bytes, spans: this.count };
    for (const scopes of this.groups.values()) for (const { spans } of scopes.values()) {
      spans.reset();
      this.spare.push(spans);
    }
    this.groups.clear();
    this.count = 0;
    return batch;
  }
}

const EMPTY = new Uint8Array(0);

function encoded(write: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter(64);
  write(w);
  return w.view();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
