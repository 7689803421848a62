import type { Attributes, AttributeValue, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { ProtoWriter } from './proto-writer.js';

/**
 * OTLP/protobuf for spans, written straight from the SDK's ReadableSpan
 * (opentelemetry/proto/trace/v1/trace.proto). The field order, the defaults
 * written and the grouping follow otlp-transformer's ProtobufTraceSerializer,
 * so that both give the same bytes for the same spans (span-encoder.test.ts);
 * what differs is when the work happens: a span is encoded as it ends, while
 * its objects are still in the CPU's cache and before they can outlive a
 * young-generation collection (encoding-span-processor.ts).
 */

const LEN = 2;
const VARINT = 0;
const I64 = 1;
const I32 = 5;
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** One Span message as a `spans` (field 2) entry of ScopeSpans. */
export function encodeSpan(w: ProtoWriter, span: ReadableSpan): void {
  w.tag(2, LEN);
  const at = w.beginLong();
  const ctx = span.spanContext();
  identity(w, ctx);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, LEN);
    w.hex(parent.spanId);
  }
  w.tag(5, LEN);
  w.string(span.name);
  // SpanKind in OTLP counts from 1: 0 is "unspecified", which the API has no value for.
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.tag(6, VARINT);
    w.varint(kind);
  }
  w.tag(7, I64);
  hrTime(w, span.startTime);
  w.tag(8, I64);
  hrTime(w, span.endTime);
  if (span.attributes) attributes(w, span.attributes, 9);
  w.tag(10, VARINT);
  w.varint(span.droppedAttributesCount);
  // Indexed loops: most spans have no events or links, and a for-of costs
  // its iterator even over an empty array.
  const { events, links } = span;
  for (let i = 0; i < events.length; i++) event(w, events[i]!);
  w.tag(12, VARINT);
  w.varint(span.droppedEventsCount);
  for (let i = 0; i < links.length; i++) link(w, links[i]!);
  w.tag(14, VARINT);
  w.varint(span.droppedLinksCount);
  w.tag(15, LEN);
  const st = w.begin();
  if (span.status.message) {
    w.tag(2, LEN);
    w.string(span.status.message);
  }
  w.tag(3, VARINT);
  w.varint(span.status.code);
  w.end(st);
  w.tag(16, I32);
  w.fixed32(flags(ctx.traceFlags, parent?.isRemote));
  w.endLong(at);
}

/** The Resource message as field `field` of its parent. */
export function encodeResource(w: ProtoWriter, resource: Resource, field: number): void {
  w.tag(field, LEN);
  const at = w.begin();
  if (resource.attributes) attributes(w, resource.attributes, 1);
  w.tag(2, VARINT);
  w.varint(0);
  w.end(at);
}

/** The InstrumentationScope message as field `field` of its parent. */
export function encodeScope(w: ProtoWriter, scope: InstrumentationScope & { attributes?: Attributes; droppedAttributesCount?: number }, field: number): void {
  w.tag(field, LEN);
  const at = w.begin();
  w.tag(1, LEN);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, LEN);
    w.string(scope.version);
  }
  if (scope.attributes) attributes(w, scope.attributes, 3);
  if (scope.droppedAttributesCount) {
    w.tag(4, VARINT);
    w.varint(scope.droppedAttributesCount);
  }
  w.end(at);
}

/** trace_id, span_id and trace_state: fields 1-3 of both Span and Span.Link. */
function identity(w: ProtoWriter, ctx: SpanContext): void {
  w.tag(1, LEN);
  w.hex(ctx.traceId);
  w.tag(2, LEN);
  w.hex(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.tag(3, LEN);
    w.string(traceState);
  }
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/** [seconds, nanoseconds] as fixed64 nanoseconds, exact (no product beyond 2^53). */
function hrTime(w: ProtoWriter, [seconds, nanos]: HrTime): void {
  const lowSecs = (seconds & 0xffff) * 1e9;
  const highSecs = ((seconds / 0x10000) >>> 0) * 1e9;
  const low = (lowSecs >>> 0) + (((highSecs & 0xffff) * 0x10000) >>> 0) + nanos;
  const carry = Math.floor(low / 0x100000000);
  w.fixed64(low >>> 0, Math.floor(lowSecs / 0x100000000) + ((highSecs / 0x10000) >>> 0) + carry);
}

function event(w: ProtoWriter, e: TimedEvent): void {
  w.tag(11, LEN);
  const at = w.begin();
  w.tag(1, I64);
  hrTime(w, e.time);
  w.tag(2, LEN);
  w.string(e.name);
  if (e.attributes) attributes(w, e.attributes, 3);
  w.tag(4, VARINT);
  w.varint(e.droppedAttributesCount || 0);
  w.end(at);
}

function link(w: ProtoWriter, l: Link): void {
  w.tag(13, LEN);
  const at = w.begin();
  const ctx = l.context;
  identity(w, ctx);
  if (l.attributes) attributes(w, l.attributes, 4);
  w.tag(5, VARINT);
  w.varint(l.droppedAttributesCount || 0);
  w.tag(6, I32);
  w.fixed32(flags(ctx.traceFlags, ctx.isRemote));
  w.end(at);
}

function attributes(w: ProtoWriter, attrs: Attributes, field: number): void {
  for (const key in attrs) {
    if (!Object.prototype.hasOwnProperty.call(attrs, key)) continue;
    w.tag(field, LEN);
    keyValue(w, key, attrs[key]);
  }
}

function keyValue(w: ProtoWriter, key: string, value: unknown): void {
  const at = w.begin();
  w.tag(1, LEN);
  w.string(key);
  w.tag(2, LEN);
  const v = w.begin();
  anyValue(w, value);
  w.end(v);
  w.end(at);
}

/** AnyValue; a type OTLP has no field for writes nothing (an empty AnyValue). */
function anyValue(w: ProtoWriter, value: AttributeValue | unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, LEN);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.tag(3, VARINT);
        w.varint(value);
      } else {
        w.tag(4, I64);
        w.double(value);
      }
      return;
    case 'object':
      break;
    default:
      return;
  }
  if (value instanceof Uint8Array) {
    w.tag(7, LEN);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, LEN);
    const at = w.begin();
    for (const item of value) {
      w.tag(1, LEN);
      const i = w.begin();
      anyValue(w, item);
      w.end(i);
    }
    w.end(at);
  } else if (value !== null) {
    w.tag(6, LEN);
    const at = w.begin();
    for (const k in value) {
      if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
      w.tag(1, LEN);
      keyValue(w, k, (value as Record<string, unknown>)[k]);
    }
    w.end(at);
  }
}
