import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, failure, json, ok, ShimProcess, startShim, writeFunction } from './runtime-harness.js';

const LIMIT = 1000;

/**
 * A fetch-style function that looks at the shim's own fetch classes from the
 * inside, and uses Node's `fetch()` with them against a server of its own on
 * loopback (the shim runs on the host here; the test goes nowhere else).
 */
const FN = `
import { createServer } from 'node:http';
const server = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  res.setHeader('x-seen', [req.method, req.url, req.headers['content-type'], req.headers['content-length'] ?? 'chunked'].join(' '));
  res.end('upstream got ' + body);
});
const port = new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const encoder = new TextEncoder();

export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/loaded':
        return Response.json({
          undici: process.moduleLoadList.filter((m) => m.includes('undici')),
          names: [Request.name, Response.name, Headers.name],
          tag: Object.prototype.toString.call(request),
          isRequest: request instanceof Request,
          headersAreHeaders: request.headers instanceof Headers,
        });
      case '/proxy': {
        const upstream = await fetch(new Request('http://127.0.0.1:' + await port + '/up', {
          method: 'POST', body: await request.text(), headers: { 'content-type': 'text/plain' },
        }));
        return new Response(upstream.body, {
          status: 202,
          headers: { 'x-upstream': upstream.headers.get('x-seen'), 'x-instance': String(upstream instanceof Response) },
        });
      }
      case '/direct':
        return fetch('http://127.0.0.1:' + await port + '/direct');
      case '/stream':
        return new Response(new ReadableStream({
          start(c) { c.enqueue(encoder.encode('a')); c.enqueue(encoder.encode('b')); c.close(); },
        }));
      case '/stream-big':
        return new Response(new ReadableStream({
          pull(c) { c.enqueue(new Uint8Array(400)); },
        }));
      case '/stream-strings':
        return new Response(new ReadableStream({ start(c) { c.enqueue('not bytes'); c.close(); } }));
      case '/form':
        return Response.json([...(await request.formData())]);
      case '/multipart': {
        const form = new FormData();
        form.append('field', 'value');
        return new Response(form);
      }
    }
    return new Response('no route', { status: 404 });
  },
};
`;

describe('runtime shim: its own fetch classes', () => {
  let shim: ShimProcess;

  beforeAll(async () => {
    shim = await startShim();
    expect(await shim.init(writeFunction({ 'index.mjs': FN }), { maxResponseBytes: LIMIT })).toEqual({ t: 'init-ok', style: 'fetch' });
  });
  afterAll(cleanUp);

  it('runs a cold fetch-style invocation without evaluating undici', async () => {
    expect(json(await shim.invoke({ http: { path: '/loaded' } }))).toEqual({
      undici: [], names: ['Request', 'Response', 'Headers'], tag: '[object Request]', isRequest: true, headersAreHeaders: true,
    });
  });

  it("hands Node's fetch() the shim's Request, and takes undici's Response back as a Response", async () => {
    const a = ok(await shim.invoke({ http: { method: 'POST', path: '/proxy' } }, Buffer.from('hello')));
    expect(a.status).toBe(202);
    expect(a.headers).toContainEqual(['x-upstream', 'POST /up text/plain 5']);
    expect(a.headers).toContainEqual(['x-instance', 'true']);
    const answer = await shim.invoke({ http: { path: '/direct' } });
    expect(ok(answer).status).toBe(200);
    expect(answer.body.toString()).toBe('upstream got ');
  });

  it('reads a streamed body, and stops one at maxResponseBytes or when it yields no bytes', async () => {
    expect((await shim.invoke({ http: { path: '/stream' } })).body.toString()).toBe('ab');
    expect(failure(await shim.invoke({ http: { path: '/stream-big' } })).kind).toBe('too-large');
    const strings = failure(await shim.invoke({ http: { path: '/stream-strings' } }));
    expect(strings.kind).toBe('invalid');
    expect(strings.error.message).toContain('not bytes');
  });

  it("leaves forms to undici: parses a urlencoded body and sends a multipart one", async () => {
    const form = json(await shim.invoke({
      http: { method: 'POST', path: '/form', headers: [['content-type', 'application/x-www-form-urlencoded']] },
    }, Buffer.from('a=1&b=x+y')));
    expect(form).toEqual([['a', '1'], ['b', 'x y']]);
    const multipart = await shim.invoke({ http: { path: '/multipart' } });
    const type = ok(multipart).headers.find(([n]) => n === 'content-type')?.[1];
    expect(type).toMatch(/^multipart\/form-data; boundary=/);
    expect(multipart.body.toString()).toContain('name="field"');
  });
});
