import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeLayers } from '../invoker/code-layers.js';
import { LayerStore } from '../invoker/layers/layer-store.js';
import { commonJsRendering } from '../invoker/runtime/function-loader.js';
import { testContext, type TestContext } from './support/context.js';
import { InvokeClient } from './support/invoke-client.js';

/** Function code on a host: fetched from PostgreSQL once, extracted, and evictable once no container holds it. */
let ctx: TestContext;
let client: InvokeClient;
const dataDir = mkdtempSync(join(tmpdir(), 'tsfn-test-code-'));

beforeAll(async () => {
  ctx = await testContext();
  client = await InvokeClient.open(ctx);
});
afterAll(async () => {
  await client?.close();
  await ctx?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('CodeLayers', () => {
  it('extracts each artifact once, and lets the store evict code no container holds', async () => {
    const a = await client.deploy('keep', { 'index.ts': 'export default { fetch: () => new Response("a") };' });
    const b = await client.deploy('drop', { 'index.ts': 'export default { fetch: () => new Response("b") };' });
    const store = await LayerStore.open(dataDir);
    const code = new CodeLayers(store, ctx.db);
    const [dirA, dirB] = await Promise.all([code.dir(a), code.dir(b)]);
    expect(existsSync(join(dirA, 'index.mjs'))).toBe(true);
    expect(await code.dir(a)).toBe(dirA);

    await store.evict(0);
    expect(existsSync(dirA) && existsSync(dirB)).toBe(true);
    code.sweep(new Set([a.digest]));
    await new Promise((r) => setImmediate(r));
    await store.evict(0);
    expect(existsSync(dirA)).toBe(true);
    expect(existsSync(dirB)).toBe(false);
    expect(existsSync(join(await code.dir(b), 'index.mjs'))).toBe(true);
  });

  it('renders a deployed entry as CommonJS beside it, and leaves one with top-level await to the ESM loader', async () => {
    const plain = await client.deploy('plain', { 'index.ts': 'export async function handler() { return 1; }' });
    const awaiting = await client.deploy('awaiting', { 'index.ts': 'await Promise.resolve();\nexport async function handler() { return 1; }' });
    const code = new CodeLayers(await LayerStore.open(dataDir), ctx.db);
    expect(existsSync(join(await code.dir(plain), commonJsRendering('index.mjs')))).toBe(true);
    expect(existsSync(join(await code.dir(awaiting), commonJsRendering('index.mjs')))).toBe(false);
  });
});
