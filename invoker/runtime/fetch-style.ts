import type { InvokeFrame } from '../../core/schemas/control.js';
import type { FetchHandler } from './function-loader.js';
import { fetchContext, type Context } from './invocation-context.js';
import { describe, errorInfo, InvalidResult, ResponseTooLarge, type Outcome } from './outcome.js';
import { bodyOf } from './web/body-mixin.js';
import { LightHeaders } from './web/headers.js';
import { realFetchClasses } from './web/real-classes.js';
import { LightRequest } from './web/request.js';
import { isLightResponse, LightResponse } from './web/response.js';

type Result = Extract<Outcome, { t: 'result' }>;

const NO_BODY_METHODS = new Set(['GET', 'HEAD']);

/**
 * Runs a Workers-style `fetch(request, ctx)` and reads its Response, at most
 * `maxBytes` of body. Promises given to `ctx.waitUntil` are awaited before the
 * result is sent, so their work and logs stay inside this invocation.
 */
export async function runFetch(
  fetch: FetchHandler,
  invoke: InvokeFrame,
  body: Uint8Array,
  maxBytes: number,
  base: Context,
  logError: (message: string) => void,
): Promise<Result> {
  const background: Array<Promise<unknown>> = [];
  const ctx = fetchContext(base, (promise) => background.push(Promise.resolve(promise)));
  const response = await fetch(buildRequest(invoke, body), ctx);
  if (!isResponse(response)) {
    throw new InvalidResult(`fetch() must return a Response, it returned ${describe(response)}`);
  }
  if (response.type === 'error') throw new InvalidResult('fetch() returned Response.error(), a network error');
  const bytes = await readBody(response, maxBytes);
  // A waitUntil callback may itself call waitUntil: settle in rounds until none are left.
  for (let settled = 0; settled < background.length;) {
    const round = background.slice(settled);
    settled = background.length;
    for (const r of await Promise.allSettled(round)) {
      if (r.status === 'rejected') {
        const e = errorInfo(r.reason);
        logError(`waitUntil: ${e.stack ?? `${e.name}: ${e.message}`}`);
      }
    }
  }
  return { t: 'result', status: response.status, headers: headerPairs(response.headers), body: bytes };
}

/**
 * Runs this file's Request and Response paths once on sample data, so that a
 * stem cell has them compiled before it gets code, and loads undici, so that
 * the function's own `fetch()` does not pay for it either.
 */
export async function warmFetchPath(sample: InvokeFrame): Promise<void> {
  await buildRequest(sample, Buffer.from('warm')).arrayBuffer();
  for (const response of [new LightResponse('warm', { headers: { 'set-cookie': 'a=1' } }), new (realFetchClasses().Response)('warm')]) {
    headerPairs(response.headers);
    await readBody(response, 16);
  }
}

/**
 * The shim's own Response (what the global name means in a container), or
 * undici's, as `fetch()` resolves to; undici is not loaded to tell a plain
 * object from a Response.
 */
function isResponse(value: unknown): value is Response | LightResponse {
  if (isLightResponse(value)) return true;
  return Object.prototype.toString.call(value) === '[object Response]' && value instanceof realFetchClasses().Response;
}

/**
 * An HTTP invocation becomes the request as it came; a JSON event becomes a
 * POST of that JSON (`{}` when empty), as the Lambda style receives it.
 */
export function buildRequest(invoke: InvokeFrame, body: Uint8Array): LightRequest {
  const { http } = invoke;
  const headers = new LightHeaders();
  let host = 'localhost';
  for (const [name, value] of http.headers) {
    headers.append(name, value);
    if (name.toLowerCase() === 'host') host = value;
  }
  let method = http.method.toUpperCase();
  let payload: Uint8Array | undefined = body.byteLength ? body : undefined;
  if (invoke.kind === 'event') {
    method = 'POST';
    payload ??= Buffer.from('{}');
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const init: RequestInit = { method, headers: headers as unknown as Headers };
  if (payload && !NO_BODY_METHODS.has(method)) init.body = payload;
  return new LightRequest(requestUrl(host, http.path, http.query), init);
}

function requestUrl(host: string, path: string, query: string): string {
  const suffix = `${path}${query ? `?${query}` : ''}`;
  try {
    return new URL(`http://${host}${suffix}`).href;
  } catch {
    return new URL(`http://localhost${suffix}`).href;
  }
}

async function readBody(response: Response | LightResponse, maxBytes: number): Promise<Uint8Array> {
  const bytes = isLightResponse(response) ? bodyOf(response).takeBytes() : null;
  if (bytes) {
    if (bytes.byteLength > maxBytes) throw new ResponseTooLarge(maxBytes);
    return bytes;
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    if (!(value instanceof Uint8Array)) {
      await reader.cancel().catch(() => undefined);
      throw new InvalidResult(`the response body stream produced ${describe(value)}, not bytes`);
    }
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLarge(maxBytes);
    }
    chunks.push(value);
  }
}

/** Every header as a pair, each Set-Cookie on its own (a Headers map would fold them). */
function headerPairs(headers: Headers | LightHeaders): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') pairs.push([name, value]);
  });
  for (const cookie of headers.getSetCookie()) pairs.push(['set-cookie', cookie]);
  return pairs;
}
