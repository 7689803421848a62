/**
 * The shim's fetch classes, side by side with Node's own (undici's): every
 * case runs against both and must give the same values, or the same error
 * (class and message).
 */
import { describe, expect, it } from 'vitest';
import { LightHeaders } from './headers.js';
import { LightRequest } from './request.js';
import { LightResponse } from './response.js';

// Typed loosely: the cases use what undici 6 has and Node 20's type declarations lack (bytes(), duplex).
interface Classes {
  Headers: any;
  Request: any;
  Response: any;
}

const node: Classes = { Headers, Request, Response };
const light: Classes = { Headers: LightHeaders, Request: LightRequest, Response: LightResponse };

type Case = (k: Classes) => unknown;

async function settle(run: Case, k: Classes): Promise<unknown> {
  try {
    return { value: await run(k) };
  } catch (err) {
    const e = err as Error;
    return { error: `${e.constructor.name}: ${e.message}` };
  }
}

/** Where undici's message names no one ("undefined: Expected 5 ..."), the shim's says which constructor; the class must still agree. */
const OWN_MESSAGES = new Set(['a number as init (Response)']);
const errorClass = (o: unknown) => (o as { error?: string }).error?.split(':')[0];

const entries = (h: Headers) => [...h];
const stream = (chunks: Array<string | Uint8Array>) => new ReadableStream({
  start(c) {
    for (const chunk of chunks) c.enqueue(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
    c.close();
  },
});
async function readStream(s: ReadableStream<Uint8Array> | null): Promise<string | null> {
  if (!s) return null;
  let out = '';
  const reader = s.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out += Buffer.from(value).toString();
  }
}

const headerCases: Record<string, Case> = {
  'append, get, combine, case': ({ Headers }) => {
    const h = new Headers();
    h.append('X-A', '1');
    h.append('x-a', '2');
    h.append('B', 'b');
    return [h.get('x-A'), h.get('b'), h.get('none'), h.has('X-a'), entries(h)];
  },
  'set replaces every value of a name': ({ Headers }) => {
    const h = new Headers([['a', '1'], ['b', '2'], ['A', '3']]);
    h.set('a', '4');
    return entries(h);
  },
  'delete': ({ Headers }) => {
    const h = new Headers({ a: '1', b: '2' });
    h.delete('A');
    return [entries(h), h.has('a')];
  },
  'iteration is sorted; set-cookie stays apart': ({ Headers }) => {
    const h = new Headers();
    h.append('zeta', 'z');
    h.append('set-cookie', 'a=1');
    h.append('alpha', 'a');
    h.append('Set-Cookie', 'b=2');
    return [entries(h), [...h.keys()], [...h.values()], h.getSetCookie(), h.get('set-cookie')];
  },
  'values are trimmed of HTTP whitespace': ({ Headers }) => {
    const h = new Headers({ a: ' \t x y \r\n' });
    return h.get('a');
  },
  'an invalid name is refused': ({ Headers }) => new Headers().append('a b', 'x'),
  'an empty name is refused': ({ Headers }) => new Headers().set('', 'x'),
  'a value with a newline is refused': ({ Headers }) => new Headers().append('a', 'x\ny'),
  'a value with NUL is refused': ({ Headers }) => new Headers({ a: 'x\0y' }),
  'a non-byte character is refused': ({ Headers }) => new Headers().append('a', 'é€'),
  'Latin-1 is accepted': ({ Headers }) => new Headers({ a: 'café' }).get('a'),
  'a pair of the wrong length': ({ Headers }) => new Headers([['a']] as unknown as [string, string][]),
  'a number as init': ({ Headers }) => new Headers(5),
  'null as init': ({ Headers }) => new Headers(null),
  'from another Headers': ({ Headers }) => entries(new Headers(new Headers({ b: '2', a: '1' }))),
  'values are stringified': ({ Headers }) => new Headers({ a: 5 as unknown as string }).get('a'),
  'forEach': ({ Headers }) => {
    const seen: unknown[] = [];
    const h = new Headers({ b: '2', a: '1' });
    h.forEach(function (this: unknown, value: string, name: string, parent: unknown) {
      seen.push([value, name, parent === h, this]);
    }, 'self');
    return seen;
  },
  'toStringTag': ({ Headers }) => Object.prototype.toString.call(new Headers()),
};

const requestCases: Record<string, Case> = {
  'defaults': ({ Request }) => {
    const r = new Request('http://example.com/a/../b?c=1#f');
    return [r.method, r.url, entries(r.headers), r.body, r.bodyUsed, r.mode, r.credentials, r.cache, r.redirect,
      r.referrer, r.referrerPolicy, r.integrity, r.keepalive, r.destination, r.duplex, r.signal.aborted,
      r.isReloadNavigation, r.isHistoryNavigation, Object.prototype.toString.call(r)];
  },
  'methods': ({ Request }) => ['get', 'Post', 'put', 'delete', 'head', 'options', 'patch', 'PATCH', 'purge']
    .map((method) => new Request('http://a', { method }).method),
  'CONNECT is refused': ({ Request }) => new Request('http://a', { method: 'connect' }),
  'TRACE is refused': ({ Request }) => new Request('http://a', { method: 'TRACE' }),
  'an invalid method is refused': ({ Request }) => new Request('http://a', { method: 'a b' }),
  'GET with a body is refused': ({ Request }) => new Request('http://a', { body: 'x' }),
  'HEAD with a body is refused': ({ Request }) => new Request('http://a', { method: 'HEAD', body: 'x' }),
  'a relative URL is refused': ({ Request }) => new Request('/x'),
  'a URL with credentials is refused': ({ Request }) => new Request('http://u:p@a/'),
  'a URL object': ({ Request }) => new Request(new URL('http://a/x?y')).url,
  'a number as init': ({ Request }) => new Request('http://a', 5),
  'null as init': ({ Request }) => new Request('http://a', null).method,
  'navigate mode is refused': ({ Request }) => new Request('http://a', { mode: 'navigate' }),
  'an unknown redirect is refused': ({ Request }) => new Request('http://a', { redirect: 'x' }),
  'options are kept': ({ Request }) => {
    const r = new Request('http://a', { mode: 'no-cors', credentials: 'include', cache: 'no-store', redirect: 'manual', integrity: 'sha256-x', keepalive: true, referrerPolicy: 'origin' });
    return [r.mode, r.credentials, r.cache, r.redirect, r.integrity, r.keepalive, r.referrerPolicy];
  },
  'referrers': ({ Request }) => [new Request('http://a', { referrer: '' }).referrer, new Request('http://a', { referrer: 'http://r/x/../y' }).referrer],
  'string body': async ({ Request }) => {
    const r = new Request('http://a', { method: 'POST', body: 'héllo' });
    return [r.headers.get('content-type'), r.bodyUsed, await r.text(), r.bodyUsed];
  },
  'a body is read once': async ({ Request }) => {
    const r = new Request('http://a', { method: 'POST', body: 'x' });
    await r.text();
    return r.text();
  },
  'json, arrayBuffer, bytes, blob': async ({ Request }) => {
    const make = () => new Request('http://a', { method: 'POST', body: '{"a":[1]}', headers: { 'content-type': 'application/json' } });
    const blob = await make().blob();
    return [await make().json(), Buffer.from(await make().arrayBuffer()).toString(), [...await make().bytes()].length, blob.type, await blob.text()];
  },
  'URLSearchParams body and formData': async ({ Request }) => {
    const r = new Request('http://a', { method: 'POST', body: new URLSearchParams({ a: '1', b: 'x y' }) });
    const type = r.headers.get('content-type');
    const form = await r.formData();
    return [type, [...form.entries()]];
  },
  'clone': async ({ Request }) => {
    const r = new Request('http://a', { method: 'PUT', body: 'x', headers: { a: '1' } });
    const c = r.clone();
    c.headers.set('a', '2');
    return [c.method, c.url, await c.text(), await r.text(), r.headers.get('a')];
  },
  'clone of a stream body': async ({ Request }) => {
    const r = new Request('http://a', { method: 'POST', body: stream(['a', 'b']), duplex: 'half' });
    const c = r.clone();
    return [await c.text(), await r.text()];
  },
  'clone after reading is refused': async ({ Request }) => {
    const r = new Request('http://a', { method: 'POST', body: 'x' });
    await r.text();
    return r.clone();
  },
  'a Request from a Request takes its body': async ({ Request }) => {
    const a = new Request('http://a/x', { method: 'POST', body: 'x', headers: { h: '1' }, redirect: 'manual' });
    const b = new Request(a, { headers: { h: '2' } });
    return [a.bodyUsed, b.method, b.url, b.redirect, b.headers.get('h'), await b.text()];
  },
  'a Request from a used Request is refused': async ({ Request }) => {
    const a = new Request('http://a', { method: 'POST', body: 'x' });
    await a.text();
    return new Request(a);
  },
  'a GET from a POST with a body is refused': ({ Request }) => {
    const a = new Request('http://a', { method: 'POST', body: 'x' });
    return new Request(a, { method: 'GET' });
  },
  'a stream body needs duplex': ({ Request }) => new Request('http://a', { method: 'POST', body: stream(['x']) }),
  'a stream body': async ({ Request }) => {
    const r = new Request('http://a', { method: 'POST', body: stream(['a', 'b']), duplex: 'half' });
    return [r.headers.get('content-type'), await readStream(r.body), r.bodyUsed];
  },
  'a blob body': async ({ Request }) => {
    const r = new Request('http://a', { method: 'POST', body: new Blob(['b'], { type: 'x/y' }) });
    return [r.headers.get('content-type'), await r.text()];
  },
  'the signal follows the one given': ({ Request }) => {
    const controller = new AbortController();
    const r = new Request('http://a', { signal: controller.signal });
    const before = r.signal.aborted;
    controller.abort('why');
    return [before, r.signal.aborted, r.signal.reason, r.signal === controller.signal];
  },
  'a signal that is not one is refused': ({ Request }) => new Request('http://a', { signal: 5 }),
};

const responseCases: Record<string, Case> = {
  'defaults': ({ Response }) => {
    const r = new Response();
    return [r.status, r.statusText, r.ok, r.type, r.url, r.redirected, r.body, r.bodyUsed, entries(r.headers), Object.prototype.toString.call(r)];
  },
  'status and statusText': ({ Response }) => {
    const r = new Response('x', { status: 404, statusText: 'Not Found' });
    return [r.status, r.statusText, r.ok, new Response('x', { status: '201' }).status];
  },
  'status 199 is refused': ({ Response }) => new Response('x', { status: 199 }),
  'status 600 is refused': ({ Response }) => new Response('x', { status: 600 }),
  'status NaN is refused': ({ Response }) => new Response('x', { status: 'abc' }),
  'a statusText with a newline is refused': ({ Response }) => new Response('x', { statusText: 'a\nb' }),
  'a Latin-1 statusText': ({ Response }) => new Response('x', { statusText: 'é' }).statusText,
  'a body on 204 is refused': ({ Response }) => new Response('x', { status: 204 }),
  'an empty body on 204': ({ Response }) => new Response(null, { status: 204 }).status,
  'a number as init (Response)': ({ Response }) => new Response('x', 5),
  'content types': ({ Response }) => [
    new Response('x'), new Response(new URLSearchParams('a=1')), new Response(new Uint8Array([1])),
    new Response(new Blob(['x'], { type: 'A/B' })), new Response(new Blob(['x'])), new Response('x', { headers: { 'content-type': 'c/d' } }),
  ].map((r) => r.headers.get('content-type')),
  'bodies of every kind': async ({ Response }) => {
    const bytes = new Uint8Array([65, 66, 67, 68]);
    async function* chunks() {
      yield 'a';
      yield new Uint8Array([98]);
    }
    return Promise.all([
      new Response(bytes.subarray(1, 3)).text(),
      new Response(bytes.buffer).text(),
      new Response(new DataView(bytes.buffer, 2)).text(),
      new Response(12).text(),
      new Response({}).text(),
      new Response(stream(['s', 't'])).text(),
      new Response(chunks()).text(),
      new Response(new Blob(['bl', 'ob'])).text(),
      new Response('\ufeffbom').text(),
      new Response(new Uint8Array([0xff, 0xfe])).text(),
    ]);
  },
  'a body is copied when made': async ({ Response }) => {
    const bytes = new Uint8Array([65]);
    const r = new Response(bytes);
    bytes[0] = 66;
    return r.text();
  },
  'a body is read once': async ({ Response }) => {
    const r = new Response('x');
    await r.arrayBuffer();
    return [r.bodyUsed, await r.text()];
  },
  'a FormData body': async ({ Response }) => {
    const form = new FormData();
    form.append('field', 'value');
    const r = new Response(form);
    const text = await r.clone().text();
    const parsed = await r.formData();
    return [/^multipart\/form-data; boundary=/.test(r.headers.get('content-type')), text.includes('name="field"'), [...parsed]];
  },
  'json of bad JSON': ({ Response }) => new Response('{bad').json(),
  'blob type': async ({ Response }) => [(await new Response('x').blob()).type, (await new Response(new Uint8Array(2)).blob()).size],
  'the body stream': async ({ Response }) => {
    const r = new Response('abc');
    const body = r.body;
    return [body === r.body, r.bodyUsed, await readStream(body), r.bodyUsed];
  },
  'reading the stream, then text()': async ({ Response }) => {
    const r = new Response(stream(['a']));
    const reader = r.body!.getReader();
    await reader.read();
    reader.releaseLock();
    return [r.bodyUsed, await r.text()];
  },
  'text() while the stream is locked': ({ Response }) => {
    const r = new Response('abc');
    r.body!.getReader();
    return r.text();
  },
  'a locked stream as body is refused': ({ Response }) => {
    const s = stream(['a']);
    s.getReader();
    return new Response(s);
  },
  'clone': async ({ Response }) => {
    const r = new Response('x', { status: 201, statusText: 'C', headers: { a: '1' } });
    const c = r.clone();
    c.headers.set('a', '2');
    return [c.status, c.statusText, c.type, await c.text(), await r.text(), r.headers.get('a')];
  },
  'clone of a stream body': async ({ Response }) => {
    const r = new Response(stream(['a', 'b']));
    const c = r.clone();
    return [await r.text(), await c.text()];
  },
  'clone after reading is refused': async ({ Response }) => {
    const r = new Response('x');
    await r.text();
    return r.clone();
  },
  'Response.json': async ({ Response }) => {
    const r = Response.json({ a: 1 }, { status: 201, headers: { x: 'y' } });
    return [r.status, entries(r.headers), await r.text(), entries(Response.json(1, { headers: { 'content-type': 'a/b' } }).headers)];
  },
  'Response.json of undefined': ({ Response }) => Response.json(undefined),
  'Response.json with a bad status': ({ Response }) => Response.json({}, { status: 100 }),
  'Response.redirect': ({ Response }) => {
    const r = Response.redirect('http://a/x/../y', 307);
    return [r.status, r.type, entries(r.headers), r.body, Response.redirect(new URL('http://b')).status];
  },
  'Response.redirect with a bad status': ({ Response }) => Response.redirect('http://a', 200),
  'Response.redirect to a relative URL': ({ Response }) => Response.redirect('/x'),
  'redirect headers are immutable': ({ Response }) => Response.redirect('http://a').headers.set('a', 'b'),
  'Response.error': ({ Response }) => {
    const r = Response.error();
    return [r.status, r.type, r.statusText, r.ok, r.body, entries(r.headers), r.clone().type];
  },
  'error headers are immutable': ({ Response }) => Response.error().headers.append('a', 'b'),
  'instanceof and names': ({ Response, Request, Headers }) => [
    new Response() instanceof Response, new Request('http://a') instanceof Request, new Headers() instanceof Headers,
    new Response().constructor.name, new Request('http://a').constructor.name, Headers.name,
    ({}) instanceof Response, new Response().headers instanceof Headers, new Request('http://a').headers instanceof Headers,
  ],
  'a subclass': async ({ Response }) => {
    class Mine extends (Response as new (body?: unknown, init?: object) => Response) {
      extra() {
        return 'extra';
      }
    }
    const m = new Mine('x', { status: 202 });
    return [m.extra(), m.status, m instanceof Response, m instanceof Mine, new Response() instanceof Mine, await m.text()];
  },
};

describe.each([
  ['Headers', headerCases],
  ['Request', requestCases],
  ['Response', responseCases],
])('the shim\'s %s, side by side with Node\'s', (_, cases) => {
  it.each(Object.entries(cases))('%s', async (name, run) => {
    const theirs = await settle(run, node);
    const ours = await settle(run, light);
    if (OWN_MESSAGES.has(name)) {
      expect(errorClass(ours)).toEqual(errorClass(theirs));
      expect(errorClass(ours)).toBeDefined();
    } else {
      expect(ours).toEqual(theirs);
    }
  });
});
