import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact, deploy } from './support/artifacts.js';
import { testContext, type TestContext } from './support/context.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { requireRoot } from './support/root.js';

/** Overload and failure answers through the whole platform: 429, 502, 504, each as problem+json and each metered. */
let ctx: TestContext;
let p: TestPlatform;
let url: string;

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  p = await startPlatform(ctx, { meter: true, env: { TSFN_QUEUE_PER_FUNCTION: '1' } });
  url = p.gateway.url;
  const slow = await buildArtifact({ 'index.ts': 'export default { async fetch() { await new Promise((r) => setTimeout(r, 800)); return new Response("slow"); } };' });
  await deploy(url, p.admin, 'slow', { concurrency: 1 }, slow.data);
  const hang = await buildArtifact({ 'index.ts': 'export default { fetch: () => new Promise(() => {}) };' });
  await deploy(url, p.admin, 'hang', { timeout: 1 }, hang.data);
  const crash = await buildArtifact({ 'index.ts': 'export default { fetch() { process.abort(); } };' });
  await deploy(url, p.admin, 'crash', {}, crash.data);
});
afterAll(async () => {
  await p?.close();
  await ctx?.close();
});

const records = async (fn: string) => (await (await fetch(`${url}/v1/invocations?function=${fn}&limit=100`, {
  headers: { authorization: `Bearer ${p.admin}` },
})).json() as { invocations: { status: string }[] }).invocations;

describe('limits', () => {
  it('refuses an overload quickly with 429 and retry-after, and meters the refusals', async () => {
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`${url}/fn/slow/`)));
    const refused = answers.filter((r) => r.status === 429);
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const r of refused) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      expect((await r.json() as { detail: string }).detail).toMatch(/in flight or queued/);
    }
    expect(Date.now() - t0).toBeLessThan(10_000);
    await expect.poll(async () => (await records('slow')).filter((r) => r.status === 'rejected').length, { timeout: 5000 })
      .toBe(refused.length);
  });

  it('answers a function past its timeout with 504 within the timeout plus a margin', async () => {
    const t0 = Date.now();
    const res = await fetch(`${url}/fn/hang/`);
    expect(res.status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(1000 + 3000);
    const body = await res.json() as { invocationId: string; title: string };
    expect(body.title).toBe('Function Timeout');
    expect(res.headers.get('x-tsfn-invocation-id')).toBe(body.invocationId);
    await expect.poll(async () => (await records('hang')).map((r) => r.status), { timeout: 5000 }).toEqual(['timeout']);
  });

  it('answers a crashed function with 502', async () => {
    const res = await fetch(`${url}/fn/crash/`);
    expect(res.status).toBe(502);
    expect((await res.json() as { detail: string }).detail).toMatch(/crashed/);
    await expect.poll(async () => (await records('crash')).map((r) => r.status), { timeout: 5000 }).toEqual(['crash']);
  });
});
