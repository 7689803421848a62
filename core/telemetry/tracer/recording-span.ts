import {
  diag, SpanStatusCode, type Attributes, type AttributeValue, type Context, type Exception, type HrTime, type Link,
  type Span, type SpanAttributes, type SpanContext, type SpanKind, type SpanStatus, type TimeInput,
} from '@opentelemetry/api';
import {
  hrTimeDuration, isAttributeValue, isTimeInput, isTimeInputHrTime, millisToHrTime, otperformance,
  sanitizeAttributes, type InstrumentationScope,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { Limits } from './tracer-config.js';

const TIME_ORIGIN = otperformance.timeOrigin;
/** The time origin as core's hrTime() makes it on every call. */
const TIME_ORIGIN_HR = millisToHrTime(TIME_ORIGIN);
/**
 * What a span holds until it is set: shared, frozen, and replaced by a value
 * of the span's own on the first write (most spans have no links, events or
 * status, and each of these would be an allocation a span).
 */
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;

export interface SpanStart {
  resource: Resource;
  scope: InstrumentationScope;
  context: Context;
  spanContext: SpanContext;
  parentSpanContext: SpanContext | undefined;
  name: string;
  kind: SpanKind;
  links: Link[] | undefined;
  attributes: Attributes | undefined;
  startTime: TimeInput | undefined;
  processor: SpanProcessor;
  limits: Limits;
}

/**
 * A sampled span, as the SDK's own (sdk-trace Span.ts) behaves: the same
 * limits, times, status rules and exception event, readable by any span
 * processor or exporter. What it leaves out is the SDK tracer's bookkeeping
 * around each span (attributes sanitised twice and copied, the tracer's
 * self-metrics, per-span closures, a clock read more than needed).
 */
export class RecordingSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  endTime: HrTime = NOT_ENDED;
  status: SpanStatus = UNSET;
  readonly attributes: Attributes = {};
  links: Link[] = NO_LINKS;
  events: TimedEvent[] = NO_EVENTS;
  ended = false;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  private attributeCount = 0;
  private readonly ctx: SpanContext;
  private readonly processor: SpanProcessor;
  private readonly limits: Limits;
  private readonly perfStart: number;
  private readonly perfOffset: number;
  private readonly startTimeGiven: boolean;

  constructor(s: SpanStart) {
    const now = Date.now();
    this.ctx = s.spanContext;
    this.perfStart = otperformance.now();
    this.perfOffset = now - (this.perfStart + TIME_ORIGIN);
    this.startTimeGiven = s.startTime != null;
    this.limits = s.limits;
    this.processor = s.processor;
    this.name = s.name;
    this.parentSpanContext = s.parentSpanContext;
    this.kind = s.kind;
    if (s.links) for (const link of s.links) this.addLink(link);
    // Date.now() is always past any performance.now() reading: the epoch branch of time().
    this.startTime = s.startTime == null ? millisToHrTime(now) : this.time(s.startTime);
    this.resource = s.resource;
    this.instrumentationScope = s.scope;
    if (s.attributes != null) this.setAttributes(s.attributes);
    this.processor.onStart(this, s.context);
  }

  spanContext(): SpanContext {
    return this.ctx;
  }

  /** End minus start, [-1, -1] until the span ends (computed when read: tsfn's exporter never reads it). */
  get duration(): HrTime {
    return this.endTime === NOT_ENDED ? NO_DURATION : hrTimeDuration(this.startTime, this.endTime);
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value == null || this.isEnded()) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    const isNew = !Object.prototype.hasOwnProperty.call(this.attributes, key);
    if (isNew && this.attributeCount >= this.limits.attributeCountLimit) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = this.limits.attributeValueLengthLimit === Infinity && !Array.isArray(value) ? value : this.truncate(value);
    if (isNew) this.attributeCount++;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.isEnded()) return this;
    const { eventCountLimit, attributePerEventCountLimit } = this.limits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this.droppedEventsCount++;
      return this;
    }
    if (this.events === NO_EVENTS) this.events = [];
    if (this.events.length >= eventCountLimit) {
      if (this.droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this.droppedEventsCount++;
    }
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
      attributesOrTime = undefined;
    }
    const [attributes, , dropped] = this.limited(sanitizeAttributes(attributesOrTime), attributePerEventCountLimit);
    this.events.push({ name, attributes, time: this.time(time), droppedAttributesCount: dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this.isEnded()) return this;
    const { linkCountLimit, attributePerLinkCountLimit } = this.limits;
    if (linkCountLimit === 0) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links === NO_LINKS) this.links = [];
    if (this.links.length >= linkCountLimit) {
      if (this.droppedLinksCount === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this.droppedLinksCount++;
    }
    const [attributes, kept, dropped] = this.limited(sanitizeAttributes(link.attributes), attributePerLinkCountLimit);
    const out: Link = { context: link.context };
    if (kept > 0) out.attributes = attributes;
    if (dropped > 0) out.droppedAttributesCount = dropped;
    this.links.push(out);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.isEnded() || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (!this.isEnded()) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.isEnded()) {
      diag.error(`${this.name} ${this.ctx.traceId}-${this.ctx.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this.time(endTime);
    const start = this.startTime;
    const end = this.endTime;
    if (end[0] < start[0] || (end[0] === start[0] && end[1] < start[1])) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', this.startTime, this.endTime);
      this.endTime = this.startTime.slice() as HrTime;
    }
    if (this.droppedEventsCount > 0) diag.warn(`Dropped ${this.droppedEventsCount} events because eventCountLimit reached`);
    if (this.droppedLinksCount > 0) diag.warn(`Dropped ${this.droppedLinksCount} links because linkCountLimit reached`);
    this.processor.onEnding?.(this);
    this.ended = true;
    this.processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${exception}`);
  }

  /** A time input as the SDK reads it: a performance.now() reading, epoch milliseconds, a Date or an HrTime. */
  private time(input?: TimeInput): HrTime {
    // core's hrTime(ms): the origin plus millisToHrTime(ms), without its arrays.
    if (typeof input === 'number' && input <= otperformance.now()) return addMillis(TIME_ORIGIN_HR, input + this.perfOffset);
    if (typeof input === 'number') return millisToHrTime(input);
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (isTimeInputHrTime(input)) return input;
    if (this.startTimeGiven) return millisToHrTime(Date.now());
    return addMillis(this.startTime, otperformance.now() - this.perfStart);
  }

  private isEnded(): boolean {
    if (this.ended) {
      const what = `Span {traceId: ${this.ctx.traceId}, spanId: ${this.ctx.spanId}}`;
      diag.warn(`Cannot execute the operation on ended ${what}`, new Error(`Operation attempted on ended ${what}`));
    }
    return this.ended;
  }

  /** Strings, and the strings of arrays, cut to attributeValueLengthLimit characters (arrays copied, as the SDK does). */
  private truncate(value: AttributeValue): AttributeValue {
    const limit = this.limits.attributeValueLengthLimit;
    if (limit <= 0) {
      diag.warn(`Attribute value limit must be positive, got ${limit}`);
      return value;
    }
    if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
    if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' && v.length > limit ? v.substring(0, limit) : v)) as AttributeValue;
    return value;
  }

  /** An event's or a link's attributes, at most `max` of them, truncated; with how many were kept and dropped. */
  private limited(sanitized: Attributes, max: number): [Attributes, number, number] {
    const out: Attributes = {};
    let kept = 0;
    let dropped = 0;
    for (const key in sanitized) {
      if (!Object.prototype.hasOwnProperty.call(sanitized, key)) continue;
      if (kept >= max) {
        dropped++;
        continue;
      }
      out[key] = this.truncate(sanitized[key]!);
      kept++;
    }
    return [out, kept, dropped];
  }
}

/**
 * `time` plus `ms` milliseconds, as the SDK's addHrTimes(time, millisToHrTime(ms))
 * gives it (the same rounding), without the intermediate arrays.
 */
function addMillis(time: HrTime, ms: number): HrTime {
  let s = time[0] + Math.trunc(ms / 1000);
  let ns = time[1] + Math.round((ms % 1000) * 1e6);
  if (ns >= 1e9) {
    s += 1;
    ns -= 1e9;
  }
  return [s, ns];
}
