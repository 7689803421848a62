/**
 * Puts the shim's fetch classes under the global names `Headers`, `Request`
 * and `Response`, before any function code runs, so that a cold start of a
 * fetch-style function does not evaluate undici (about 30 ms here). `fetch`
 * stays Node's, wrapped: it loads undici on its first call and is handed
 * undici's equivalent of a shim's Request; what it resolves to is undici's
 * Response, which `instanceof Response` accepts. `FormData` stays Node's.
 * WebAssembly's streaming functions, which take undici's Response only, are
 * given one made of the shim's.
 */
import { bodyOf } from './body-mixin.js';
import { LightHeaders } from './headers.js';
import { realFetchClasses, saveRealFetchClasses } from './real-classes.js';
import { isLightRequest, LightRequest } from './request.js';
import { isLightResponse, LightResponse } from './response.js';

export function installFetchClasses(): void {
  saveRealFetchClasses();
  define('Headers', LightHeaders);
  define('Request', LightRequest);
  define('Response', LightResponse);
  define('fetch', fetch);
  const wasm = (globalThis as unknown as { WebAssembly: Record<string, unknown> }).WebAssembly;
  for (const name of ['compileStreaming', 'instantiateStreaming']) {
    const original = wasm[name] as (source: unknown, ...rest: unknown[]) => Promise<unknown>;
    if (typeof original !== 'function') continue;
    Object.defineProperty(wasm, name, {
      ...Object.getOwnPropertyDescriptor(wasm, name),
      value: async function streaming(source: unknown, ...rest: unknown[]) {
        const response = await source;
        return original.call(wasm, isLightResponse(response) ? toRealResponse(response) : response, ...rest);
      },
    });
  }
}

/** Node's WebAssembly streaming functions take undici's Response only. */
function toRealResponse(response: LightResponse): Response {
  const { Response: RealResponse } = realFetchClasses();
  if (response.type === 'error') return RealResponse.error();
  return new RealResponse(takeBody(response), { status: response.status, statusText: response.statusText, headers: [...response.headers] });
}

/** Node's fetch, given undici's Request for one of the shim's. */
async function fetch(input: unknown, init?: RequestInit): Promise<Response> {
  const real = realFetchClasses();
  return real.fetch(isLightRequest(input) ? toRealRequest(input, real.Request) : input as string, init);
}

function toRealRequest(request: LightRequest, RealRequest: typeof Request): Request {
  if (request.bodyUsed) throw new TypeError('Cannot construct a Request with a Request object that has already been used.');
  return new RealRequest(request.url, {
    method: request.method,
    headers: [...request.headers],
    body: takeBody(request),
    duplex: 'half',
    signal: request.signal,
    redirect: request.redirect,
    mode: request.mode,
    credentials: request.credentials,
    cache: request.cache,
    integrity: request.integrity,
    keepalive: request.keepalive,
    referrer: request.referrer,
    referrerPolicy: request.referrerPolicy,
  } as RequestInit);
}

/** A shim message's body for undici: its bytes as they are (a length undici can send), else its stream. */
function takeBody(message: LightRequest | LightResponse): Uint8Array | ReadableStream<Uint8Array> | null {
  const body = bodyOf(message);
  return body.isNull ? null : body.takeBytes() ?? message.body;
}

function define(name: string, value: unknown): void {
  const enumerable = Object.getOwnPropertyDescriptor(globalThis, name)?.enumerable ?? false;
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable });
}
