import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarball } from '../invoker/layers/tar-fixture.js';
import { testContext, type TestContext } from './support/context.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { buildArtifact, deploy, deployForm } from './support/artifacts.js';

/** The gateway's API without an invoker: deploys, versions, accounts, keys and every kind of bad input. */
let ctx: TestContext;
let p: TestPlatform;
let url: string;
let hello: Buffer;
const HELLO = { 'index.ts': 'export default { fetch: () => new Response("hi") };' };

const api = (path: string, init: RequestInit & { key?: string } = {}) => fetch(`${url}${path}`, {
  ...init, headers: { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.headers as Record<string, string>) },
});
const problem = async (res: Response, status: number, detail?: RegExp) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = await res.json() as { status: number; title: string; detail: string; type: string };
  expect(body.status).toBe(status);
  expect(body.title).toBeTruthy();
  expect(body.type).toMatch(/^https:\/\//);
  if (detail) expect(body.detail).toMatch(detail);
  return body;
};
const functionNames = async () =>
  ((await (await api('/v1/functions', { key: p.admin })).json()) as { functions: { name: string }[] }).functions.map((f) => f.name);

beforeAll(async () => {
  ctx = await testContext();
  p = await startPlatform(ctx, { invoker: false, env: { TSFN_MAX_ARTIFACT_MIB: '1' } });
  url = p.gateway.url;
  hello = (await buildArtifact(HELLO)).data;
});
afterAll(async () => {
  await p?.close();
  await ctx?.close();
});

describe('deploy and versions', () => {
  it('creates a version, reuses it for identical content and makes a new one for a change', async () => {
    const first = await deploy(url, p.admin, 'hello', { memory: 128 }, hello);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: 'hello', version: 1, created: true, url: `${url}/fn/hello` });
    expect(first.body.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const again = await deploy(url, p.admin, 'hello', { memory: 128 }, hello);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, created: false, digest: first.body.digest });
    const changed = await deploy(url, p.admin, 'hello', { memory: 256 }, hello);
    expect(changed.body).toMatchObject({ version: 2, created: true });

    const versions = await (await api('/v1/functions/hello/versions', { key: p.admin })).json() as any;
    expect(versions.versions.map((v: any) => [v.version, v.latest, v.manifest.memory])).toEqual([[1, false, 128], [2, true, 256]]);
    const rolled = await api('/v1/functions/hello/rollback', {
      key: p.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 1 }),
    });
    expect(await rolled.json()).toMatchObject({ name: 'hello', version: 1 });
    const info = await (await api('/v1/functions/hello', { key: p.admin })).json() as any;
    expect(info).toMatchObject({ name: 'hello', version: 1, account: 'default', manifest: { memory: 128, cpu: 0.072, timeout: 10, public: true } });
  });

  it('refuses a rollback to a version that does not exist, and changes nothing', async () => {
    await problem(await api('/v1/functions/hello/rollback', {
      key: p.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 9 }),
    }), 404, /no version 9/);
    await problem(await api('/v1/functions/hello/rollback', {
      key: p.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"version":',
    }), 400, /JSON/);
    expect((await (await api('/v1/functions/hello', { key: p.admin })).json() as any).version).toBe(1);
  });

  it('deletes a function and its scheduler, and 404s afterwards', async () => {
    expect((await deploy(url, p.admin, 'gone', { schedule: '*/5 * * * *' }, hello)).status).toBe(201);
    const schedulers = async () => (await p.gateway.deps.invocations.queue.getJobSchedulers()).map((j) => j.key);
    expect(await schedulers()).toContain('fn:gone');
    expect((await api('/v1/functions/gone', { key: p.admin, method: 'DELETE' })).status).toBe(200);
    await problem(await api('/v1/functions/gone', { key: p.admin }), 404);
    expect(await schedulers()).not.toContain('fn:gone');
  });
});

describe('bad deploys change nothing', () => {
  const cases: [string, () => Promise<Response>, number, RegExp][] = [
    ['a path trick as name', () => api('/v1/functions/..%2Fx', { key: p.admin, method: 'PUT', body: deployForm({}, hello) }), 400, /valid function name|no route/],
    ['an upper-case name', () => api('/v1/functions/Hello', { key: p.admin, method: 'PUT', body: deployForm({}, hello) }), 400, /function name/],
    ['a name starting with a digit', () => api('/v1/functions/1abc', { key: p.admin, method: 'PUT', body: deployForm({}, hello) }), 400, /function name/],
    ['a manifest that is not JSON', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm('{"memory":', hello) }), 400, /not valid JSON/],
    ['memory out of range', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ memory: 32, entry: 'index.mjs' }, hello) }), 400, /memory/],
    ['timeout out of range', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ timeout: 901, entry: 'index.mjs' }, hello) }), 400, /timeout/],
    ['an unknown manifest field', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ memroy: 128 }, hello) }), 400, /memroy|Unrecognized/i],
    ['a manifest naming another function', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ name: 'other', entry: 'index.mjs' }, hello) }), 400, /names "other"/],
    ['an invalid cron schedule', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ schedule: '99 * * * *', entry: 'index.mjs' }, hello) }), 400, /cron/],
    ['a corrupt artifact', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ entry: 'index.mjs' }, Buffer.from('not a tarball at all')) }), 400, /refused/],
    ['a truncated gzip', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ entry: 'index.mjs' }, hello.subarray(0, hello.length >> 1)) }), 400, /refused/],
    ['a tar with an absolute path', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ entry: 'index.mjs' }, tarball([{ path: 'index.mjs', body: 'x' }, { path: '/etc/evil', body: 'x' }])) }), 400, /refused/],
    ['a tar with ..', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ entry: 'index.mjs' }, tarball([{ path: 'index.mjs', body: 'x' }, { path: 'a/../../evil', body: 'x' }])) }), 400, /refused/],
    ['a tar writing through a symlink', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ entry: 'index.mjs' }, tarball([{ path: 'index.mjs', body: 'x' }, { path: 'l', type: 'symlink', linkpath: '/tmp' }, { path: 'l/evil', body: 'x' }])) }), 400, /refused/],
    ['a tar with a device node', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ entry: 'index.mjs' }, tarball([{ path: 'index.mjs', body: 'x' }, { path: 'null', type: 'char' }])) }), 400, /refused/],
    ['an artifact without the entry file', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ entry: 'index.mjs' }, tarball([{ path: 'other.mjs', body: 'x' }])) }), 400, /no entry file/],
    ['an artifact over the size cap', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: deployForm({ entry: 'index.mjs' }, Buffer.alloc(3 * 1048576, 1)) }), 413, /at most/],
    ['a body that is not multipart', () => api('/v1/functions/bad', { key: p.admin, method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }), 400, /multipart/],
    ['a missing artifact field', () => { const f = new FormData(); f.set('manifest', '{}'); return api('/v1/functions/bad', { key: p.admin, method: 'PUT', body: f }); }, 400, /artifact/],
    ['no API key', () => api('/v1/functions/bad', { method: 'PUT', body: deployForm({}, hello) }), 401, /API key/],
    ['a wrong API key', () => api('/v1/functions/bad', { key: 'tsfn_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', method: 'PUT', body: deployForm({}, hello) }), 401, /unknown or revoked/],
    ['a malformed Authorization header', () => api('/v1/functions', { headers: { authorization: 'Basic abc' } }), 401, /Bearer/],
  ];
  it.each(cases)('refuses %s', async (_, send, status, detail) => {
    const before = await functionNames();
    await problem(await send(), status, detail);
    expect(await functionNames()).toEqual(before);
    expect(before).not.toContain('bad');
  });
});

describe('accounts and keys', () => {
  let acme: string;
  let beta: string;
  beforeAll(async () => {
    for (const name of ['acme', 'beta']) {
      const res = await api('/v1/accounts', { key: p.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      expect(res.status).toBe(201);
    }
    const key = async (account: string) => ((await (await api('/v1/keys', {
      key: p.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account }),
    })).json()) as { key: string }).key;
    acme = await key('acme');
    beta = await key('beta');
    expect((await deploy(url, acme, 'acme-private', { public: false }, hello)).status).toBe(201);
  });

  it('shows a key once and stores only its hash', async () => {
    expect(acme).toMatch(/^tsfn_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const { rows } = await ctx.db.query('select hash from api_keys where id = $1', [acme.split('_')[1]]);
    expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
    // The secret is base64url, which may itself hold '_'.
    const secret = acme.slice('tsfn_'.length + 12 + 1);
    expect(secret).toHaveLength(43);
    expect(rows[0].hash).not.toContain(secret);
  });

  it('keeps one account from seeing, changing or deleting another account\'s functions', async () => {
    const listed = await (await api('/v1/functions', { key: beta })).json() as any;
    expect(listed.functions).toEqual([]);
    await problem(await api('/v1/functions/acme-private', { key: beta }), 404);
    await problem(await api('/v1/functions/acme-private', { key: beta, method: 'DELETE' }), 404);
    await problem(await api('/v1/functions/acme-private/versions', { key: beta }), 404);
    const taken = await deploy(url, beta, 'acme-private', {}, hello);
    expect(taken.status).toBe(403);
    expect((await (await api('/v1/functions', { key: acme })).json() as any).functions.map((f: any) => f.name)).toEqual(['acme-private']);
  });

  it('refuses admin routes to tenants and revoked keys', async () => {
    await problem(await api('/v1/accounts', { key: acme, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' }), 403);
    await problem(await api('/v1/keys', { key: acme, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"account":"beta"}' }), 403);
    await problem(await api('/v1/accounts', { key: p.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"acme"}' }), 409);
    await problem(await api('/v1/accounts', { key: p.admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"../x"}' }), 400);
    const extra = await (await api('/v1/keys', { key: acme, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json() as any;
    expect((await api('/v1/functions', { key: extra.key })).status).toBe(200);
    expect((await api(`/v1/keys/${extra.id}`, { key: beta, method: 'DELETE' })).status).toBe(404);
    expect((await api(`/v1/keys/${extra.id}`, { key: acme, method: 'DELETE' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5100));
    await problem(await api('/v1/functions', { key: extra.key }), 401);
  });

  it('guards private functions at the trigger: 401 without a key, 403 with another account\'s', async () => {
    await problem(await api('/fn/acme-private/'), 401, /private/);
    await problem(await api('/fn/acme-private/', { key: beta }), 403);
  });
});

describe('bad invocations', () => {
  it.each([
    ['an unknown function', () => api('/fn/nope/'), 404, /no function named nope/],
    ['an unknown version', () => api('/fn/hello@7/'), 404, /no version 7/],
    ['a malformed target', () => api('/fn/Hello/'), 400, /not a function name/],
    ['a body over 6 MiB', () => api('/fn/hello/', { method: 'POST', body: Buffer.alloc(6 * 1048576 + 1) }), 413, /6 MiB/],
    ['an async event over 256 KiB', () => api('/v1/functions/hello/invocations?mode=async', { key: p.admin, method: 'POST', body: JSON.stringify('x'.repeat(300 * 1024)) }), 413, /256 KiB/],
    ['an event that is not JSON', () => api('/v1/functions/hello/invocations', { key: p.admin, method: 'POST', body: '{nope' }), 400, /valid JSON/],
    ['an unknown mode', () => api('/v1/functions/hello/invocations?mode=later', { key: p.admin, method: 'POST', body: '{}' }), 400, /mode/],
    ['a bad invocation id', () => api('/v1/invocations/xyz', { key: p.admin }), 400, /not an invocation id/],
    ['an unknown invocation', () => api('/v1/invocations/00000000-0000-4000-8000-000000000000', { key: p.admin }), 404],
    ['no invoker running', () => api('/fn/hello/'), 503, /no invoker/],
    ['an unknown route', () => api('/v2/nothing'), 404, /no route/],
  ] as [string, () => Promise<Response>, number, RegExp?][])('answers %s with problem+json', async (_, send, status, detail) => {
    await problem(await send(), status, detail);
  });
});
