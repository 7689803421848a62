import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { EXIT_PROTOCOL } from '../invoker/runtime/control-channel.js';
import { PREWARM_FLAG, SHIM_ENV } from '../invoker/runtime/shim-command.js';
import { cleanUp, failure, json, ok, scratchDir, ShimProcess, startShim, writeFunction } from './runtime-harness.js';

const LIMIT = 100_000;
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** One fetch-style function with a route per behaviour under test. */
const FETCH_FN = `
let count = 0;
const atInit = process.env.GREETING;
console.log('module scope ran');
export default {
  async fetch(request, ctx) {
    const url = new URL(request.url);
    count += 1;
    switch (url.pathname) {
      case '/echo': {
        const body = Buffer.from(await request.arrayBuffer());
        return Response.json({ method: request.method, url: request.url, headers: [...request.headers], body: body.toString('base64') });
      }
      case '/bytes':
        return new Response(await request.arrayBuffer(), { headers: { 'content-type': 'application/octet-stream' } });
      case '/cookies': {
        const h = new Headers({ 'x-one': 'a' });
        h.append('set-cookie', 'a=1; Path=/');
        h.append('set-cookie', 'b=2; HttpOnly');
        return new Response('ok', { status: 201, headers: h });
      }
      case '/context':
        return Response.json({ ...ctx, remaining: ctx.getRemainingTimeInMillis(), waitUntil: typeof ctx.waitUntil });
      case '/count': return new Response(String(count));
      case '/env': return Response.json({ atInit, now: process.env.GREETING, base: process.env.NODE_ENV, cwd: process.cwd() });
      case '/throw': throw new TypeError('bad thing');
      case '/reject': return Promise.reject(new RangeError('rejected thing'));
      case '/invalid': return { status: 200, body: 'not a response' };
      case '/network-error': return Response.error();
      case '/big': return new Response(new Uint8Array(Number(url.searchParams.get('n'))));
      case '/timer-throw':
        setTimeout(() => { throw new Error('thrown from a timer'); }, 10);
        return new Promise(() => {});
      case '/wait-until':
        ctx.waitUntil(new Promise((r) => setTimeout(() => { console.log('background done'); r(); }, 30)));
        return new Response('sent');
    }
    return new Response('no route', { status: 404 });
  },
};
`;

describe('runtime shim: fetch style', () => {
  let shim: ShimProcess;
  let dir: string;

  beforeAll(async () => {
    dir = writeFunction({ 'index.mjs': FETCH_FN });
    shim = await startShim();
    expect(await shim.init(dir, { env: { GREETING: 'hello from env' }, maxResponseBytes: LIMIT }))
      .toEqual({ t: 'init-ok', style: 'fetch' });
  });
  afterAll(cleanUp);

  it('runs module scope once and keeps state between invocations (warm reuse)', async () => {
    const first = await shim.invoke({ http: { path: '/count' } });
    const second = await shim.invoke({ http: { path: '/count' } });
    expect(second.body.toString()).toBe(String(Number(first.body.toString()) + 1));
    const initLines = [...first.logs, ...second.logs].filter((l) => l.msg === 'module scope ran');
    expect(initLines).toHaveLength(1);
  });

  it('builds the Request from method, host, path, query, headers and body', async () => {
    const a = await shim.invoke({
      http: {
        method: 'PUT', path: '/echo', query: 'a=1&a=2&b=x%20y',
        headers: [['host', 'fn.example.com'], ['x-dup', 'one'], ['x-dup', 'two'], ['content-type', 'text/plain']],
      },
    }, Buffer.from('hello body'));
    expect(ok(a).status).toBe(200);
    const got = json(a);
    expect(got.method).toBe('PUT');
    expect(got.url).toBe('http://fn.example.com/echo?a=1&a=2&b=x%20y');
    expect(got.headers).toContainEqual(['x-dup', 'one, two']);
    expect(Buffer.from(got.body, 'base64').toString()).toBe('hello body');
  });

  it('uses localhost without a host header and drops a body on GET', async () => {
    const got = json(await shim.invoke({ http: { path: '/echo' } }, Buffer.from('ignored')));
    expect(got.url).toBe('http://localhost/echo');
    expect(got.body).toBe('');
  });

  it('round-trips all 256 byte values in request and response bodies', async () => {
    const a = await shim.invoke({
      http: { method: 'POST', path: '/bytes', headers: [['content-type', 'application/octet-stream']] },
    }, ALL_BYTES);
    expect(ok(a).headers).toContainEqual(['content-type', 'application/octet-stream']);
    expect(Buffer.compare(a.body, Buffer.from(ALL_BYTES))).toBe(0);
  });

  it('keeps every set-cookie header and the status', async () => {
    const r = ok(await shim.invoke({ http: { path: '/cookies' } }));
    expect(r.status).toBe(201);
    expect(r.headers.filter(([n]) => n === 'set-cookie').map(([, v]) => v)).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(r.headers).toContainEqual(['x-one', 'a']);
  });

  it('gives a JSON event to a fetch handler as a POST with the JSON body', async () => {
    const got = json(await shim.invoke({ kind: 'event', trigger: 'async', http: { path: '/echo' } }, Buffer.from('{"a":1}')));
    expect(got.method).toBe('POST');
    expect(got.headers).toContainEqual(['content-type', 'application/json']);
    expect(Buffer.from(got.body, 'base64').toString()).toBe('{"a":1}');
  });

  it('applies env at init, before module scope runs, over the base environment', async () => {
    const got = json(await shim.invoke({ http: { path: '/env' } }));
    expect(got).toEqual({ atInit: 'hello from env', now: 'hello from env', base: 'production', cwd: dir });
  });

  it('turns a throw and a rejection into error frames with the stack in the logs', async () => {
    const thrown = failure(await shim.invoke({ http: { path: '/throw' } }));
    expect(thrown.kind).toBe('error');
    expect(thrown.error).toMatchObject({ name: 'TypeError', message: 'bad thing' });
    expect(thrown.error.stack).toContain(join(dir, 'index.mjs'));
    expect(thrown.logs.some((l) => l.level === 'error' && l.msg.includes('TypeError: bad thing'))).toBe(true);
    const rejected = failure(await shim.invoke({ http: { path: '/reject' } }));
    expect(rejected).toMatchObject({ kind: 'error', error: { name: 'RangeError', message: 'rejected thing' } });
  });

  it('answers invalid when fetch returns something that is not a Response', async () => {
    const f = failure(await shim.invoke({ http: { path: '/invalid' } }));
    expect(f.kind).toBe('invalid');
    expect(f.error.message).toMatch(/must return a Response.*an object with keys status, body/);
    expect(failure(await shim.invoke({ http: { path: '/network-error' } })).kind).toBe('invalid');
  });

  it('answers too-large past maxResponseBytes and sends a body at the limit', async () => {
    const at = await shim.invoke({ http: { path: '/big', query: `n=${LIMIT}` } });
    expect(at.body.length).toBe(LIMIT);
    const over = failure(await shim.invoke({ http: { path: '/big', query: `n=${LIMIT + 1}` } }));
    expect(over.kind).toBe('too-large');
  });

  it('ends an invocation with an error frame when a timer throws while it is in flight, and keeps serving', async () => {
    const f = failure(await shim.invoke({ http: { path: '/timer-throw' } }));
    expect(f).toMatchObject({ kind: 'error', error: { message: 'thrown from a timer' } });
    expect(ok(await shim.invoke({ http: { path: '/count' } })).status).toBe(200);
  });

  it('holds the response until waitUntil work settles, with its logs', async () => {
    const a = await shim.invoke({ http: { path: '/wait-until' } });
    expect(a.body.toString()).toBe('sent');
    expect(a.logs.map((l) => l.msg)).toContain('background done');
  });
});

describe('runtime shim: context', () => {
  afterAll(cleanUp);

  it('passes SPEC §1 Context fields; coldStart only on the first invocation of a cold container', async () => {
    const shim = await startShim();
    await shim.init(writeFunction({ 'index.mjs': FETCH_FN }), { name: 'ctx-fn', version: 7, memoryMiB: 256 });
    const deadline = Date.now() + 20_000;
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const first = json(await shim.invoke({ id: 'inv-ctx-1', start: 'cold', deadline, traceparent, http: { path: '/context' } }));
    expect(first).toMatchObject({
      invocationId: 'inv-ctx-1', functionName: 'ctx-fn', version: 7, memoryLimitMiB: 256,
      deadline, traceparent, coldStart: true, waitUntil: 'function',
    });
    expect(first.remaining).toBeGreaterThan(0);
    expect(first.remaining).toBeLessThanOrEqual(20_000);
    const second = json(await shim.invoke({ start: 'warm', deadline: Date.now() - 5, http: { path: '/context' } }));
    expect(second.coldStart).toBe(false);
    expect(second.remaining).toBe(0);
  });

  it('counts a stem cell\'s first invocation as a cold start', async () => {
    const shim = await startShim({ args: [PREWARM_FLAG] });
    await shim.init(writeFunction({ 'index.mjs': FETCH_FN }));
    expect(json(await shim.invoke({ start: 'prewarm', http: { path: '/context' } })).coldStart).toBe(true);
  });
});

describe('runtime shim: Hono app and source maps', () => {
  afterAll(cleanUp);

  it('runs a bundled Hono app as a fetch handler: routes, forms, JSON, streaming, cookies, redirects, notFound', async () => {
    const dir = scratchDir();
    await build({
      stdin: {
        contents: `
          import { Hono } from 'hono';
          import { setCookie } from 'hono/cookie';
          import { stream } from 'hono/streaming';
          const app = new Hono();
          app.get('/hello/:name', (c) => c.json({ hello: c.req.param('name'), x: c.req.query('x'), id: c.executionCtx.invocationId }));
          app.post('/echo', async (c) => c.body(await c.req.arrayBuffer(), 200, { 'content-type': 'application/octet-stream' }));
          app.post('/form', async (c) => c.json(await c.req.parseBody()));
          app.post('/json', async (c) => c.json({ got: await c.req.json(), type: c.req.header('content-type') }, 201));
          app.get('/stream', (c) => stream(c, async (s) => { await s.write('one,'); await s.write('two'); }));
          app.get('/cookie', (c) => { setCookie(c, 'a', '1'); setCookie(c, 'b', '2'); return c.redirect('/elsewhere', 303); });
          app.notFound((c) => c.text('nothing here', 404));
          export default app;`,
        resolveDir: paths.root,
        sourcefile: 'hono-app.ts',
        loader: 'ts',
      },
      bundle: true, format: 'esm', platform: 'node', outfile: join(dir, 'index.mjs'), logLevel: 'warning',
    });
    const shim = await startShim();
    expect(await shim.init(dir)).toEqual({ t: 'init-ok', style: 'fetch' });
    const got = json(await shim.invoke({ id: 'hono-1', http: { path: '/hello/ada', query: 'x=1' } }));
    expect(got).toEqual({ hello: 'ada', x: '1', id: 'hono-1' });
    const echoed = await shim.invoke({ http: { method: 'POST', path: '/echo' } }, ALL_BYTES);
    expect(Buffer.compare(echoed.body, Buffer.from(ALL_BYTES))).toBe(0);
    const form = await shim.invoke({
      http: { method: 'POST', path: '/form', headers: [['content-type', 'application/x-www-form-urlencoded']] },
    }, Buffer.from('a=1&b=two'));
    expect(JSON.parse(form.body.toString())).toEqual({ a: '1', b: 'two' });
    const posted = await shim.invoke({ http: { method: 'POST', path: '/json', headers: [['content-type', 'application/json']] } }, Buffer.from('{"n":[1]}'));
    expect(ok(posted).status).toBe(201);
    expect(JSON.parse(posted.body.toString())).toEqual({ got: { n: [1] }, type: 'application/json' });
    expect((await shim.invoke({ http: { path: '/stream' } })).body.toString()).toBe('one,two');
    const redirect = ok(await shim.invoke({ http: { path: '/cookie' } }));
    expect(redirect.status).toBe(303);
    expect(redirect.headers).toContainEqual(['location', '/elsewhere']);
    expect(redirect.headers.filter(([n]) => n === 'set-cookie').map(([, v]) => v)).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const missing = await shim.invoke({ http: { path: '/nope' } });
    expect([ok(missing).status, missing.body.toString()]).toEqual([404, 'nothing here']);
  });

  it('maps stack traces to the TypeScript source when the bundle has a source map', async () => {
    const dir = scratchDir();
    await build({
      stdin: {
        contents: 'interface Nothing { n: number }\nexport default {\n  fetch(): Response {\n    throw new Error("mapped");\n  },\n};\n',
        resolveDir: dir,
        sourcefile: 'mapped-source.ts',
        loader: 'ts',
      },
      bundle: true, format: 'esm', platform: 'node', outfile: join(dir, 'index.mjs'), sourcemap: 'linked', logLevel: 'warning',
    });
    const shim = await startShim();
    await shim.init(dir);
    const f = failure(await shim.invoke());
    expect(f.error.stack).toMatch(/mapped-source\.ts:4:/);
  });
});

describe('runtime shim: init', () => {
  afterAll(cleanUp);

  it('reports a module-scope throw with its logs, and refuses invocations after it', async () => {
    const shim = await startShim();
    const dir = writeFunction({ 'index.mjs': "console.log('before the throw');\nthrow new SyntaxError('module scope exploded');\n" });
    const answer = await shim.init(dir);
    expect(answer).toMatchObject({ t: 'init-error', error: { name: 'SyntaxError', message: 'module scope exploded' } });
    if (answer.t !== 'init-error') throw new Error('unreachable');
    expect(answer.error.stack).toContain(join(dir, 'index.mjs'));
    expect(answer.logs.map((l) => l.msg)).toEqual(['before the throw']);
    const f = failure(await shim.invoke());
    expect(f.error.name).toBe('NotInitialised');
    expect(f.error.message).toContain('module scope exploded');
  });

  it('reports a rejected top-level await', async () => {
    const shim = await startShim();
    const answer = await shim.init(writeFunction({ 'index.mjs': "await Promise.reject(new Error('tla rejected'));\nexport default { fetch() {} };\n" }));
    expect(answer).toMatchObject({ t: 'init-error', error: { message: 'tla rejected' } });
  });

  it('fails init on an uncaught exception thrown while the module is still loading', async () => {
    const shim = await startShim();
    const answer = await shim.init(writeFunction({
      'index.mjs': "setTimeout(() => { throw new Error('timer during init'); }, 1);\nawait new Promise(() => {});\n",
    }));
    expect(answer).toMatchObject({ t: 'init-error', error: { message: 'timer during init' } });
  });

  it('reports what the module exports when it has no handler', async () => {
    const shim = await startShim();
    const answer = await shim.init(writeFunction({ 'index.mjs': 'export const notAHandler = 1;\nexport default { name: "x" };\n' }));
    expect(answer).toMatchObject({ t: 'init-error', error: { name: 'HandlerNotFound' } });
    if (answer.t !== 'init-error') throw new Error('unreachable');
    expect(answer.error.message).toContain('default (an object with keys name)');
    expect(answer.error.message).toContain('notAHandler (a number)');
  });

  it('answers a second init with an init-error and keeps the loaded function', async () => {
    const shim = await startShim();
    const dir = writeFunction({ 'index.mjs': FETCH_FN });
    await shim.init(dir);
    expect(await shim.init(dir)).toMatchObject({ t: 'init-error', error: { name: 'AlreadyInitialised' } });
    expect(ok(await shim.invoke({ http: { path: '/count' } })).status).toBe(200);
  });

  it('answers an invoke before init with an error frame', async () => {
    const shim = await startShim();
    const f = failure(await shim.invoke());
    expect(f).toMatchObject({ kind: 'error', error: { name: 'NotInitialised' } });
  });
});

describe('runtime shim: process and channel', () => {
  afterAll(cleanUp);

  it('closes descriptors it inherited beyond fd 3 before function code runs', async () => {
    const shim = await startShim({ extraFds: 1 });
    const closedByPeer = new Promise<string>((resolve) => shim.extraFd(4).once('end', () => resolve('closed')).resume());
    const stillOpen = new Promise<string>((resolve) => setTimeout(() => resolve('still open after init'), 5_000).unref());
    await shim.init(writeFunction({ 'index.mjs': FETCH_FN }));
    expect(await Promise.race([closedByPeer, stillOpen])).toBe('closed');
  });

  it('boots as a stem cell with --prewarm and specialises on init', async () => {
    const shim = await startShim({ args: [PREWARM_FLAG] });
    expect(await shim.init(writeFunction({ 'index.mjs': FETCH_FN }))).toEqual({ t: 'init-ok', style: 'fetch' });
    expect(ok(await shim.invoke({ http: { path: '/count' } })).status).toBe(200);
  });

  it('exits with a protocol error when fd 3 is not a socket', () => {
    const r = spawnSync(process.execPath, [paths.shim], { stdio: ['ignore', 'ignore', 'pipe', 'ignore'], env: { ...SHIM_ENV } });
    expect(r.status).toBe(EXIT_PROTOCOL);
    expect(r.stderr.toString()).toContain('fd 3 is not a control socket');
  });

  it('exits when the invoker closes the channel', async () => {
    const shim = await startShim();
    shim.hangUp();
    expect(await shim.exited).toEqual({ code: 0, signal: null });
  });

  it('exits with a protocol error on a frame that is off the schema', async () => {
    const shim = await startShim();
    shim.send({ t: 'invoke', id: 42 });
    expect((await shim.exited).code).toBe(EXIT_PROTOCOL);
    expect(shim.stderr).toContain('invalid frame');
  });

  it('never writes to its own stdout', async () => {
    const shim = await startShim();
    await shim.init(writeFunction({ 'index.mjs': FETCH_FN }));
    await shim.invoke({ http: { path: '/count' } });
    shim.hangUp();
    await shim.exited;
    expect(shim.stdout).toBe('');
  });
});
