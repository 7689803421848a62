import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { buildArtifact, deploy } from './support/artifacts.js';
import { tsfn } from './support/cli.js';
import { testContext, type TestContext } from './support/context.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { requireRoot } from './support/root.js';

/** The whole platform: a real gateway, invoker, meter, Redis, PostgreSQL and containers, driven over HTTP and by the CLI. */
let ctx: TestContext;
let p: TestPlatform;
let url: string;
const cli = (args: string[], key: string | undefined = p.admin) => tsfn(url, key, args);
const fn = (name: string) => join(paths.functions, name);
const until = async <T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
};
const getJson = async (path: string, key = p.admin) => (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<any>;

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  p = await startPlatform(ctx, { meter: true, env: { TSFN_PREWARM: '1' } });
  url = p.gateway.url;
});
afterAll(async () => {
  await p?.close();
  await ctx?.close();
});

describe('the examples', () => {
  it('deploys every example with tsfn deploy', async () => {
    for (const name of ['hello', 'echo', 'api', 'validate']) {
      const r = await cli(['deploy', fn(name)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`name: +${name}\\nversion: +1\\ndigest: +sha256:[0-9a-f]{64}\\nsize: .+\\nurl: +${url}/fn/${name}`));
      expect(r.stderr).toMatch(/bundling[\s\S]*packed[\s\S]*uploading[\s\S]*ready/);
    }
    const ls = await cli(['ls', '--json']);
    expect(JSON.parse(ls.stdout).map((f: any) => f.name)).toEqual(['api', 'echo', 'hello', 'validate']);
  });

  it('answers over HTTP with the platform headers', async () => {
    const res = await fetch(`${url}/fn/hello?name=e2e`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Hello, e2e!\n');
    expect(res.headers.get('x-tsfn-invocation-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(['cold', 'prewarm', 'warm']).toContain(res.headers.get('x-tsfn-cold-start'));
    expect(res.headers.get('server-timing')).toMatch(/^queue;dur=[\d.]+, init;dur=[\d.]+, run;dur=[\d.]+$/);
    const again = await fetch(`${url}/fn/hello?name=again`);
    expect(again.headers.get('x-tsfn-cold-start')).toBe('warm');

    const created = await fetch(`${url}/fn/api/todos`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"x"}' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ title: 'x', done: false });
    expect((await fetch(`${url}/fn/api/todos/999`)).status).toBe(404);

    const echoed = await (await fetch(`${url}/fn/echo/some/path?q=1`, { method: 'PUT', body: 'data' })).json() as any;
    expect(echoed.event).toMatchObject({ rawPath: '/some/path', rawQueryString: 'q=1', body: 'data', requestContext: { http: { method: 'PUT' } } });
  });

  it('answers tsfn invoke with HTTP requests and JSON events, and prints the metering record', async () => {
    const h = await cli(['invoke', 'hello', '--path', '/', '--header', 'x-a:b']);
    expect(h.stdout).toBe('Hello, world!\n');
    const ev = await cli(['invoke', 'echo', '--data', '{"k":[1,2]}', '--report']);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).event).toEqual({ k: [1, 2] });
    expect(ev.stderr).toMatch(/^REPORT [0-9a-f-]{36} status: ok start: (cold|prewarm|warm) Duration: [\d.]+ ms Billed Duration: \d+ ms Memory Size: 128 MB/m);
    const v = await cli(['invoke', 'validate', '--data', '{"email":"a@b.co","age":30}']);
    expect(JSON.parse(v.stdout)).toEqual({ ok: true, user: { email: 'a@b.co', age: 30 } });
  });
});

describe('versions', () => {
  it('redeploys, lists versions, rolls back and invokes a pinned version', async () => {
    const v1 = await buildArtifact({ 'index.ts': 'export default { fetch: () => new Response("v1") };' });
    const v2 = await buildArtifact({ 'index.ts': 'export default { fetch: () => new Response("v2") };' });
    expect((await deploy(url, p.admin, 'ver', {}, v1.data)).body.version).toBe(1);
    expect((await deploy(url, p.admin, 'ver', {}, v2.data)).body.version).toBe(2);
    expect(await (await fetch(`${url}/fn/ver/`)).text()).toBe('v2');
    expect(await (await fetch(`${url}/fn/ver@1/`)).text()).toBe('v1');
    const versions = await cli(['versions', 'ver']);
    expect(versions.stdout).toMatch(/^VERSION +LATEST/);
    expect(versions.stdout).toMatch(/\n +2 +\* /);
    expect((await cli(['rollback', 'ver', '1'])).stdout).toMatch(/latest is now version 1/);
    expect(await (await fetch(`${url}/fn/ver/`)).text()).toBe('v1');
    expect(await (await fetch(`${url}/fn/ver@2/`)).text()).toBe('v2');
    const bad = await cli(['rollback', 'ver', '5']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('Not Found: function ver has no version 5');
  });
});

describe('asynchronous and scheduled invocations', () => {
  it('runs an async invocation and keeps its result and record', async () => {
    const q = await cli(['invoke', 'echo', '--data', '{"n":7}', '--async', '--json']);
    const { invocationId } = JSON.parse(q.stdout);
    const done = await until(async () => {
      const inv = await getJson(`/v1/invocations/${invocationId}`);
      return inv.status === 'ok' && inv.records.length ? inv : undefined;
    });
    expect(JSON.parse(Buffer.from(done.result.bodyBase64, 'base64').toString()).event).toEqual({ n: 7 });
    expect(done.records[0]).toMatchObject({ invocationId, trigger: 'async', status: 'ok', attempt: 1 });
  });

  it('retries a failing async invocation with backoff, then dead-letters it', async () => {
    const art = await buildArtifact({ 'index.ts': 'export async function handler() { throw new Error("always fails"); }' });
    await deploy(url, p.admin, 'flaky', { retries: 1 }, art.data);
    const res = await fetch(`${url}/v1/functions/flaky/invocations?mode=async`, {
      method: 'POST', headers: { authorization: `Bearer ${p.admin}` }, body: '{}',
    });
    expect(res.status).toBe(202);
    const { invocationId } = await res.json() as { invocationId: string };
    const dead = await until(async () => {
      const inv = await getJson(`/v1/invocations/${invocationId}`);
      return inv.status === 'dead' && inv.records.length === 2 ? inv : undefined;
    }, 20_000);
    expect(dead.attempts).toBe(2);
    expect(dead.error).toMatch(/always fails/);
    expect(dead.records.map((r: any) => [r.attempt, r.status])).toEqual([[1, 'error'], [2, 'error']]);
    expect(Date.parse(dead.records[1].startedAt) - Date.parse(dead.records[0].endedAt)).toBeGreaterThanOrEqual(900);
    const listed = await getJson('/v1/invocations?status=dead');
    expect(listed.invocations.map((i: any) => i.invocationId)).toContain(invocationId);
  });

  it('fires a scheduled function, and stops when the schedule is removed', async () => {
    const art = await buildArtifact({ 'index.ts': 'export async function handler(event: any) { console.log("tick", event.source); return "ok"; }' });
    await deploy(url, p.admin, 'ticker', { schedule: '* * * * * *' }, art.data);
    const fired = await until(async () => {
      const { invocations } = await getJson('/v1/invocations?function=ticker');
      return invocations.length >= 2 ? invocations : undefined;
    }, 20_000);
    expect(fired.every((r: any) => r.trigger === 'schedule' && r.status === 'ok')).toBe(true);
    await deploy(url, p.admin, 'ticker', {}, art.data);
    await new Promise((r) => setTimeout(r, 1500));
    const count = (await getJson('/v1/invocations?function=ticker&limit=1000')).invocations.length;
    await new Promise((r) => setTimeout(r, 2500));
    expect((await getJson('/v1/invocations?function=ticker&limit=1000')).invocations.length).toBe(count);
  });
});

describe('tenants', () => {
  it('keeps private functions to their account and accounts apart', async () => {
    expect((await cli(['accounts', 'create', 'acme'])).code).toBe(0);
    expect((await cli(['accounts', 'create', 'beta'])).code).toBe(0);
    const acme = (await cli(['keys', 'create', '--account', 'acme'])).stdout.trim();
    const beta = (await cli(['keys', 'create', '--account', 'beta'])).stdout.trim();
    const art = await buildArtifact({ 'index.ts': 'export default { fetch: () => new Response("secret") };' });
    expect((await deploy(url, acme, 'vault', { public: false }, art.data)).status).toBe(201);

    expect((await fetch(`${url}/fn/vault/`)).status).toBe(401);
    expect((await fetch(`${url}/fn/vault/`, { headers: { authorization: `Bearer ${beta}` } })).status).toBe(403);
    const ok = await fetch(`${url}/fn/vault/`, { headers: { authorization: `Bearer ${acme}` } });
    expect(await ok.text()).toBe('secret');
    expect((await cli(['invoke', 'vault'], beta)).stderr.trim()).toBe('Forbidden: function vault is private to another account');
    expect((await cli(['rm', 'vault'], beta)).code).toBe(1);
    expect((await cli(['ls', '--json'], beta)).stdout.trim()).toBe('[]');
    expect((await cli(['invoke', 'hello'], beta)).stdout).toBe('Hello, world!\n');
    const usage = JSON.parse((await cli(['usage', '--json'], beta)).stdout);
    expect(JSON.stringify(usage)).not.toMatch(/vault|hello/);
  });

  it('refuses bad CLI usage with exit 2 and a failed operation with exit 1', async () => {
    const usage = await cli(['deploy']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
    const missing = await cli(['info', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('Not Found: no function named nope');
    const unreachable = await tsfn('http://127.0.0.1:1', p.admin, ['ls']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^Unreachable: cannot reach the gateway/);
  });
});
