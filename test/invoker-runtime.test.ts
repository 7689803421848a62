import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../core/schemas/invocation.js';
import { testContext, type TestContext } from './support/context.js';
import { InvokeClient, header, text } from './support/invoke-client.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { streamEntry } from './support/metering-stream.js';
import { requireRoot } from './support/root.js';

/** Functions in real containers through a real invoker (BullMQ on real Redis), no gateway. */
let ctx: TestContext;
let p: TestPlatform;
let client: InvokeClient;

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  p = await startPlatform(ctx, { env: { TSFN_PREWARM: '0' } });
  client = await InvokeClient.open(ctx);
});
afterAll(async () => {
  await client?.close();
  await p?.close();
  await ctx?.close();
});

describe('handler styles', () => {
  let fetchFn: FunctionSpec;
  let lambdaFn: FunctionSpec;
  beforeAll(async () => {
    fetchFn = await client.deploy('fetchy', {
      'index.ts': `let calls = 0;
        export default { async fetch(req: Request, ctx: any) {
          calls++;
          const url = new URL(req.url);
          console.log('hello from', url.pathname);
          if (url.pathname === '/bin') return new Response(new Uint8Array(await req.arrayBuffer()).reverse(), { headers: { 'content-type': 'application/octet-stream' } });
          return Response.json({ calls, path: url.pathname, q: url.searchParams.get('q'), method: req.method, cold: ctx.coldStart, id: ctx.invocationId, fn: ctx.functionName, mem: ctx.memoryLimitMiB });
        } };`,
    });
    lambdaFn = await client.deploy('lambdy', {
      'index.ts': `export async function handler(event: any, context: any) {
        if (event.rawPath === '/status') return { statusCode: 201, headers: { 'x-a': 'b' }, body: 'made' };
        return { event, requestId: context.awsRequestId, version: context.functionVersion };
      }`,
    });
  });

  it('runs a fetch handler cold, then warm in the same container', async () => {
    const cold = await client.call(fetchFn, { path: '/x', query: 'q=1' });
    expect(cold).toMatchObject({ status: 'ok', start: 'cold' });
    const body = JSON.parse(text(cold));
    expect(body).toMatchObject({ calls: 1, path: '/x', q: '1', method: 'GET', cold: true, id: cold.invocationId, fn: 'fetchy', mem: 128 });
    expect(cold.timing.initMs).toBeGreaterThan(0);
    const warm = await client.call(fetchFn, { path: '/y' });
    expect(warm).toMatchObject({ status: 'ok', start: 'warm' });
    expect(JSON.parse(text(warm))).toMatchObject({ calls: 2, cold: false });
    expect(warm.timing.initMs).toBe(0);
    const { record, logs } = await streamEntry(ctx.redis, ctx.prefix, warm.invocationId);
    expect(record).toMatchObject({ status: 'ok', start: 'warm', function: 'fetchy', memoryLimitMiB: 128, trigger: 'http' });
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['hello from /y', expect.stringMatching(/^REPORT /)]));
    expect(logs.some((l) => l.msg === 'hello from /x')).toBe(false);
  });

  it('passes binary bodies both ways unchanged', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const r = await client.call(fetchFn, { method: 'POST', path: '/bin', body: bytes });
    expect(Buffer.from(r.http!.bodyB64, 'base64')).toEqual(Buffer.from(bytes).reverse());
    expect(header(r, 'content-type')).toBe('application/octet-stream');
  });

  it('gives a Lambda handler the payload 2.0 event and honours statusCode results', async () => {
    const r = await client.call(lambdaFn, { method: 'POST', path: '/a/b', query: 'x=1&x=2', headers: [['content-type', 'text/plain']], body: 'hi' });
    const body = JSON.parse(text(r));
    expect(body.event).toMatchObject({ version: '2.0', rawPath: '/a/b', rawQueryString: 'x=1&x=2', body: 'hi', isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/a/b' } } });
    expect(body.requestId).toBe(r.invocationId);
    expect(body.version).toBe(String(lambdaFn.version));
    const s = await client.call(lambdaFn, { path: '/status' });
    expect(s.http?.status).toBe(201);
    expect(header(s, 'x-a')).toBe('b');
    expect(text(s)).toBe('made');
  });

  it('gives a Lambda handler a JSON event as is', async () => {
    const r = await client.call(lambdaFn, { kind: 'event', method: 'POST', headers: [['content-type', 'application/json']], body: '{"a":[1,2]}' });
    expect(JSON.parse(text(r)).event).toEqual({ a: [1, 2] });
  });
});

describe('failures', () => {
  const deployFailing = (name: string, body: string, manifest = {}) =>
    client.deploy(name, { 'index.ts': `export default { async fetch(req: Request) { ${body} } };` }, manifest);

  it('turns a thrown error into a 502-kind error with the stack in the logs, and keeps the container', async () => {
    const fn = await deployFailing('thrower', 'if (new URL(req.url).pathname === "/ok") return new Response("fine"); throw new TypeError("boom");');
    const r = await client.call(fn, { path: '/' });
    expect(r).toMatchObject({ status: 'error', error: { title: 'Function Failed' } });
    expect(r.error!.detail).toMatch(/TypeError: boom/);
    const { logs, record } = await streamEntry(ctx.redis, ctx.prefix, r.invocationId);
    expect(record.status).toBe('error');
    expect(logs.some((l) => l.level === 'error' && /TypeError: boom\n\s+at /.test(l.msg))).toBe(true);
    const ok = await client.call(fn, { path: '/ok' });
    expect(ok).toMatchObject({ status: 'ok', start: 'warm' });
  });

  it('refuses an invalid return value and a rejected promise', async () => {
    const invalid = await deployFailing('invalid', 'return { not: "a response" };');
    expect(await client.call(invalid)).toMatchObject({ status: 'error' });
    const rejects = await deployFailing('rejects', 'return Promise.reject(new Error("nope"));');
    const r = await client.call(rejects);
    expect(r.status).toBe('error');
    expect(r.error!.detail).toMatch(/nope/);
  });

  it('kills a function at its timeout, reports timeout and never reuses the container', async () => {
    const fn = await deployFailing('sleeper', 'if (new URL(req.url).pathname === "/fast") return new Response("quick"); while (true) {}', { timeout: 1 });
    const t0 = Date.now();
    const r = await client.call(fn, { path: '/' });
    expect(r.status).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(6000);
    const { record } = await streamEntry(ctx.redis, ctx.prefix, r.invocationId);
    expect(record.status).toBe('timeout');
    expect(record.durationMs).toBeGreaterThanOrEqual(1000);
    const next = await client.call(fn, { path: '/fast' });
    expect(next).toMatchObject({ status: 'ok', start: 'cold' });
  });

  it('times out a function that never answers', async () => {
    const fn = await deployFailing('hang', 'return new Promise(() => {});', { timeout: 1 });
    expect((await client.call(fn)).status).toBe('timeout');
  });

  it('reports oom when a function allocates past its memory', async () => {
    const fn = await deployFailing('hog', 'const keep = []; for (;;) keep.push(Buffer.alloc(8 << 20, 1));', { memory: 128 });
    const r = await client.call(fn);
    expect(r.status).toBe('oom');
    expect(r.error!.detail).toMatch(/out of memory/);
    const { record } = await streamEntry(ctx.redis, ctx.prefix, r.invocationId);
    expect(record.memoryPeakBytes).toBeGreaterThan(100 * 1048576);
  });

  it('reports crash when the process dies', async () => {
    const fn = await deployFailing('dies', 'process.exit(3);');
    const r = await client.call(fn);
    expect(r.status).toBe('crash');
    expect(r.error!.detail).toMatch(/status 3|crashed/);
  });

  it('reports a module that fails to initialise', async () => {
    const fn = await client.deploy('badinit', { 'index.ts': 'throw new Error("init failed here"); export default {};' });
    const r = await client.call(fn);
    expect(r.status).toBe('error');
    expect(r.error!.detail).toMatch(/initialise.*init failed here/);
  });
});

describe('metering', () => {
  it('meters CPU time from the cgroup, 200 ms of work as 200 ms ± 10%', async () => {
    const fn = await client.deploy('burn', {
      'index.ts': `export default { fetch(req: Request) {
        if (new URL(req.url).pathname === '/light') return new Response('light');
        const end = process.cpuUsage(); let t = 0;
        while (true) { const u = process.cpuUsage(end); t = (u.user + u.system) / 1000; if (t >= 200) break; }
        return new Response(String(t)); } };`,
    }, { cpu: 1 });
    await client.call(fn);
    const r = await client.call(fn);
    expect(r.start).toBe('warm');
    const { record } = await streamEntry(ctx.redis, ctx.prefix, r.invocationId);
    expect(record.cpuUs / 1000).toBeGreaterThan(180);
    expect(record.cpuUs / 1000).toBeLessThan(220);
    const light = await client.call(fn, { path: '/light' });
    expect(light.start).toBe('warm');
    expect((await streamEntry(ctx.redis, ctx.prefix, light.invocationId)).record.cpuUs / 1000).toBeLessThan(30);
  });

  it('meters peak memory per invocation, from its own counters', async () => {
    const fn = await client.deploy('holder', {
      'index.ts': `export default { fetch(req: Request) {
        const hold = new URL(req.url).pathname === '/hold';
        if (hold) { const b = Buffer.alloc(64 << 20, 7); return new Response(String(b[12345])); }
        return new Response('light'); } };`,
    }, { memory: 256 });
    const base = await client.call(fn, { path: '/' });
    const light = (await streamEntry(ctx.redis, ctx.prefix, (await client.call(fn, { path: '/' })).invocationId)).record;
    const heavy = await client.call(fn, { path: '/hold' });
    expect(heavy.start).toBe('warm');
    const h = (await streamEntry(ctx.redis, ctx.prefix, heavy.invocationId)).record;
    expect(h.memoryPeakBytes - light.memoryPeakBytes).toBeGreaterThanOrEqual(64 * 1048576);
    expect(base.status).toBe('ok');
  });
});
