/**
 * The Fetch standard's Request, the shim's own (see headers.ts for why),
 * following undici 6 where the standard leaves room (fetch-classes.test.ts compares).
 */
import { Body, extractBody } from './body.js';
import { BodyMixin, bodyOf, replaceBody } from './body-mixin.js';
import { fillHeaders, LightHeaders, TOKEN } from './headers.js';
import { realFetchClasses, realLoaded } from './real-classes.js';

const NORMALISED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const ENUMS = {
  mode: ['same-origin', 'no-cors', 'cors'],
  credentials: ['omit', 'same-origin', 'include'],
  cache: ['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'],
  redirect: ['follow', 'manual', 'error'],
  referrerPolicy: ['', 'no-referrer', 'no-referrer-when-downgrade', 'same-origin', 'origin',
    'strict-origin', 'origin-when-cross-origin', 'strict-origin-when-cross-origin', 'unsafe-url'],
} as const;

type Options = { [K in keyof typeof ENUMS]: (typeof ENUMS)[K][number] } & {
  integrity: string;
  keepalive: boolean;
  referrer: string;
};

const DEFAULTS: Options = {
  mode: 'cors', credentials: 'same-origin', cache: 'default', redirect: 'follow', referrerPolicy: '',
  integrity: '', keepalive: false, referrer: 'about:client',
};

export let isLightRequest: (value: unknown) => value is LightRequest;

export class LightRequest extends BodyMixin {
  #method: string;
  #url: string;
  #headers: LightHeaders;
  #options: Options;
  #given: AbortSignal | null;
  #signal: AbortSignal | undefined;

  constructor(input: unknown, given?: unknown) {
    if (given !== undefined && given !== null && typeof given !== 'object' && typeof given !== 'function') {
      throw new TypeError(`Request constructor: Expected ${String(given)} to be one of: Null, Undefined, Object.`);
    }
    const init = (given ?? {}) as Record<string, unknown>;
    const from = isLightRequest(input) ? input : undefined;
    const url = from ? from.#url : parseUrl(input);
    const method = init.method !== undefined ? checkedMethod(init.method) : from ? from.#method : 'GET';
    const options: Options = { ...(from ? from.#options : DEFAULTS) };
    for (const key of Object.keys(ENUMS) as Array<keyof typeof ENUMS>) {
      if (init[key] === undefined) continue;
      const value = String(init[key]);
      if (!(ENUMS[key] as readonly string[]).includes(value)) {
        throw new TypeError(key === 'mode' && value === 'navigate'
          ? `Request constructor: invalid request mode ${value}.`
          : `Request constructor: ${value} is not an accepted type. Expected one of ${ENUMS[key].filter(Boolean).join(', ')}.`);
      }
      (options as Record<string, unknown>)[key] = value;
    }
    if (init.integrity !== undefined) options.integrity = String(init.integrity);
    if (init.keepalive !== undefined) options.keepalive = Boolean(init.keepalive);
    if (init.referrer !== undefined) options.referrer = referrerOf(init.referrer);
    const signal = init.signal !== undefined ? checkedSignal(init.signal) : from ? from.#given : null;

    const headers = new LightHeaders();
    if (init.headers !== undefined) fillHeaders(headers, init.headers, 'Headers constructor');
    else if (from) fillHeaders(headers, from.#headers, 'Headers constructor');

    let body: Body;
    if (init.body !== undefined && init.body !== null) {
      if (method === 'GET' || method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
      const extracted = extractBody(init.body);
      if (!(extracted.source instanceof Uint8Array) && init.duplex !== 'half' && !isBlobOrFormData(init.body)) {
        throw new TypeError('RequestInit: duplex option is required when sending a body.');
      }
      if (extracted.type !== null && !headers.has('content-type')) headers.append('content-type', extracted.type);
      body = new Body(extracted.source);
    } else if (from && !bodyOf(from).isNull) {
      if (method === 'GET' || method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
      if (from.bodyUsed || from.body?.locked) {
        throw new TypeError('Cannot construct a Request with a Request object that has already been used.');
      }
      body = bodyOf(from).transfer();
    } else {
      body = new Body(null);
    }
    super(body);
    this.#method = method;
    this.#url = url;
    this.#headers = headers;
    this.#options = options;
    this.#given = signal;
  }

  get method(): string { return this.#method; }
  get url(): string { return this.#url; }
  get headers(): LightHeaders { return this.#headers; }
  get destination(): string { return ''; }
  get referrer(): string { return this.#options.referrer; }
  get referrerPolicy(): string { return this.#options.referrerPolicy; }
  get mode(): string { return this.#options.mode; }
  get credentials(): string { return this.#options.credentials; }
  get cache(): string { return this.#options.cache; }
  get redirect(): string { return this.#options.redirect; }
  get integrity(): string { return this.#options.integrity; }
  get keepalive(): boolean { return this.#options.keepalive; }
  get isReloadNavigation(): boolean { return false; }
  get isHistoryNavigation(): boolean { return false; }
  get duplex(): string { return 'half'; }

  /** A signal of its own that follows the one given, as undici's does. */
  get signal(): AbortSignal {
    this.#signal ??= this.#given ? AbortSignal.any([this.#given]) : new AbortController().signal;
    return this.#signal;
  }

  clone(): LightRequest {
    if (this.bodyUsed) throw new TypeError('unusable');
    const copy = new LightRequest(this.#url, { method: this.#method, headers: this.#headers, ...this.#options });
    copy.#given = this.#given;
    replaceBody(copy, bodyOf(this).clone());
    return copy;
  }

  get [Symbol.toStringTag](): string {
    return 'Request';
  }

  [Symbol.for('nodejs.util.inspect.custom')](depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    const { method, url, headers, bodyUsed, mode, credentials, cache, redirect } = this;
    return `Request ${inspect({ method, url, headers, destination: '', referrer: this.referrer, referrerPolicy: this.referrerPolicy, mode, credentials, cache, redirect, integrity: this.integrity, keepalive: this.keepalive, isReloadNavigation: false, isHistoryNavigation: false, signal: this.signal, bodyUsed }, { ...options, depth })}`;
  }

  /** Instances of undici's Request (from its own fetch machinery) count as Requests too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return this === LightRequest && realLoaded() && value instanceof realFetchClasses().Request;
  }

  static {
    isLightRequest = (value): value is LightRequest => typeof value === 'object' && value !== null && #url in value;
  }
}

Object.defineProperty(LightRequest, 'name', { value: 'Request' });

function parseUrl(input: unknown): string {
  const text = typeof input === 'string' ? input : String((input as { url?: unknown })?.url ?? input);
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new TypeError(`Failed to parse URL from ${text}`, { cause });
  }
  if (url.username || url.password) {
    throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${text}`);
  }
  return url.href;
}

function checkedMethod(value: unknown): string {
  const method = String(value);
  if (!TOKEN.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
  const upper = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`'${method}' HTTP method is unsupported.`);
  return NORMALISED_METHODS.has(upper) ? upper : method;
}

function checkedSignal(value: unknown): AbortSignal | null {
  if (value === null) return null;
  if (!(value instanceof AbortSignal)) throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
  return value;
}

function referrerOf(value: unknown): string {
  const text = String(value);
  if (text === '') return '';
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new TypeError(`Referrer "${text}" is not a valid URL.`, { cause });
  }
  return url.protocol === 'about:' && url.pathname === 'client' ? 'about:client' : url.href;
}

function isBlobOrFormData(value: unknown): boolean {
  const tag = Object.prototype.toString.call(value);
  return tag === '[object Blob]' || tag === '[object File]' || tag === '[object FormData]';
}
