/**
 * The Fetch standard's Response, the shim's own (see headers.ts for why),
 * following undici 6 where the standard leaves room (fetch-classes.test.ts compares).
 */
import { Body, extractBody } from './body.js';
import { BodyMixin, bodyOf, replaceBody } from './body-mixin.js';
import { fillHeaders, LightHeaders, setGuard } from './headers.js';
import { realFetchClasses, realLoaded } from './real-classes.js';

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** reason-phrase: HTAB, SP, VCHAR, obs-text. */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;
const encoder = new TextEncoder();

type ResponseType = 'default' | 'error';

export let isLightResponse: (value: unknown) => value is LightResponse;

export class LightResponse extends BodyMixin {
  #type: ResponseType = 'default';
  #status: number;
  #statusText: string;
  #headers: LightHeaders;

  constructor(body: unknown = null, given?: unknown) {
    const init = initOf(given);
    const status = init.status !== undefined ? unsignedShort(init.status) : 200;
    if (status < 200 || status > 599) throw new RangeError('init["status"] must be in the range of 200 to 599, inclusive.');
    const statusText = init.statusText !== undefined ? String(init.statusText) : '';
    if (!REASON_PHRASE.test(statusText)) throw new TypeError('Invalid statusText');
    const headers = new LightHeaders();
    if (init.headers !== undefined) fillHeaders(headers, init.headers, 'Headers constructor');
    let source: Body;
    if (body === null || body === undefined) {
      source = new Body(null);
    } else {
      if (NULL_BODY_STATUSES.has(status)) throw new TypeError(`Response constructor: Invalid response status code ${status}`);
      const extracted = extractBody(body);
      if (extracted.type !== null && !headers.has('content-type')) headers.append('content-type', extracted.type);
      source = new Body(extracted.source);
    }
    super(source);
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = headers;
  }

  get type(): ResponseType { return this.#type; }
  get url(): string { return ''; }
  get redirected(): boolean { return false; }
  get status(): number { return this.#status; }
  get ok(): boolean { return this.#status >= 200 && this.#status <= 299; }
  get statusText(): string { return this.#statusText; }
  get headers(): LightHeaders { return this.#headers; }

  clone(): LightResponse {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    const copy = new LightResponse(null, { headers: this.#headers });
    copy.#type = this.#type;
    copy.#status = this.#status;
    copy.#statusText = this.#statusText;
    if (this.#type === 'error') setGuard(copy.#headers, 'immutable');
    replaceBody(copy, bodyOf(this).clone());
    return copy;
  }

  static error(): LightResponse {
    const response = new LightResponse(null);
    response.#type = 'error';
    response.#status = 0;
    setGuard(response.#headers, 'immutable');
    return response;
  }

  static json(data: unknown, init?: unknown): LightResponse {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Value is not JSON serializable');
    const response = new LightResponse(encoder.encode(text), init);
    if (!response.#headers.has('content-type')) response.#headers.append('content-type', 'application/json');
    return response;
  }

  static redirect(url: unknown, status: unknown = 302): LightResponse {
    let parsed: URL;
    try {
      parsed = new URL(String(url));
    } catch (cause) {
      throw new TypeError(`Failed to parse URL from ${String(url)}`, { cause });
    }
    const code = unsignedShort(status);
    if (!REDIRECT_STATUSES.has(code)) throw new RangeError(`Invalid status code ${code}`);
    const response = new LightResponse(null);
    response.#status = code;
    response.#headers.append('location', parsed.href);
    setGuard(response.#headers, 'immutable');
    return response;
  }

  get [Symbol.toStringTag](): string {
    return 'Response';
  }

  [Symbol.for('nodejs.util.inspect.custom')](depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    const { status, statusText, headers, body, bodyUsed, ok, redirected, type, url } = this;
    return `Response ${inspect({ status, statusText, headers, body, bodyUsed, ok, redirected, type, url }, { ...options, depth })}`;
  }

  /** Instances of undici's Response (what `fetch()` resolves to) count as Responses too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return this === LightResponse && realLoaded() && value instanceof realFetchClasses().Response;
  }

  static {
    isLightResponse = (value): value is LightResponse => typeof value === 'object' && value !== null && #statusText in value;
  }
}

Object.defineProperty(LightResponse, 'name', { value: 'Response' });


function initOf(given: unknown): Record<string, unknown> {
  if (given === undefined || given === null) return {};
  if (typeof given !== 'object' && typeof given !== 'function') {
    throw new TypeError(`Response constructor: Expected ${String(given)} to be one of: Null, Undefined, Object.`);
  }
  return given as Record<string, unknown>;
}

/** WebIDL's `unsigned short`: a number, truncated, modulo 2^16. */
function unsignedShort(value: unknown): number {
  const n = Math.trunc(Number(value));
  return Number.isFinite(n) ? ((n % 65536) + 65536) % 65536 : 0;
}
