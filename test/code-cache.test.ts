import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { launcherArgs } from '../invoker/container/launcher-args.js';
import { PayloadUids } from '../invoker/container/payload-ids.js';
import { UidLeases } from '../invoker/container/uid-leases.js';
import { buildBaseLayer, type BaseLayer } from '../invoker/layers/base-layer.js';
import { BASE_PATHS } from '../invoker/layers/base-skeleton.js';
import { buildCodeCacheLayer } from '../invoker/layers/code-cache-layer.js';
import { listingDigest, readListing } from '../invoker/layers/layer-listing.js';
import { LayerStore } from '../invoker/layers/layer-store.js';
import { SHIM_BOOT_PATH, SHIM_ENV } from '../invoker/runtime/shim-command.js';
import { requireRoot } from './support/root.js';

/*
 * The shim's V8 code cache: made on this host by a sample run of the base
 * layer's shim, kept as a layer of its own over the base layer, and accepted
 * by V8 inside a real container (same node, same flags), where boot.cjs says
 * what it did with it when TSFN_SHIM_BOOT_REPORT=1.
 */

let dir: string;
let store: LayerStore;
let base: BaseLayer;

beforeAll(async () => {
  requireRoot();
  dir = await mkdtemp(join(tmpdir(), 'tsfn-code-cache-'));
  store = await LayerStore.open(join(dir, 'data'));
  base = await buildBaseLayer(store, { shimPath: paths.shim });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const uids = new PayloadUids(new UidLeases());

/** The shim's boot in a container over `layers`, without a control channel: it reports on the cache, then fails on fd 3. */
function bootIn(layers: string[]): { status: number | null; stderr: string } {
  const uid = uids.take();
  const r = spawnSync(paths.launcher, launcherArgs({
    layers, upperBytes: 16 << 20, cgroupPaths: [], env: { ...SHIM_ENV, TSFN_SHIM_BOOT_REPORT: '1' },
    binds: [], passFds: [], cwd: '/tmp', argv: [BASE_PATHS.node, SHIM_BOOT_PATH], uid,
  }), { encoding: 'utf8', timeout: 30_000 });
  uids.release(uid);
  return { status: r.status, stderr: r.stderr };
}

describe('the code-cache layer', () => {
  it('holds the shim\'s code cache alone, is content-addressed, and is made once per base layer', async () => {
    const cache = await buildCodeCacheLayer(store, base);
    const listing = await readListing(cache.path);
    expect(listing.map((e) => `${e.type} ${e.path}`).sort()).toEqual([
      'directory /', 'directory /opt', 'directory /opt/tsfn', `file ${BASE_PATHS.shimCodeCache}`,
    ]);
    expect(listingDigest(listing)).toBe(cache.digest);
    expect(await buildCodeCacheLayer(store, base)).toEqual(cache);
  });

  it('is accepted by V8 in a container over the base layer; without it the shim compiles from source', async () => {
    const cache = await buildCodeCacheLayer(store, base);
    const withCache = bootIn([cache.path, base.path]);
    expect(withCache.stderr).toContain('tsfn-shim: code cache accepted');
    // The shim itself ran: it got as far as its control channel.
    expect(withCache.stderr).toContain('fd 3 is not a control socket');
    expect(withCache.status).toBe(70);
    expect(bootIn([base.path]).stderr).toContain('tsfn-shim: code cache absent');
  });

  it('falls back to compiling from source when V8 rejects a cache, and says so', async () => {
    const bogus = join(dir, 'bogus-cache-layer');
    await mkdir(join(bogus, 'opt', 'tsfn'), { recursive: true });
    await writeFile(join(bogus, BASE_PATHS.shimCodeCache), Buffer.alloc(4096, 7));
    const r = bootIn([bogus, base.path]);
    expect(r.stderr).toContain('V8 rejected the code cache; compiling from source');
    expect(r.stderr).toContain('fd 3 is not a control socket');
  });

  it('is made again when its record names another base layer', async () => {
    await buildCodeCacheLayer(store, base);
    const record = join(store.root, 'code-cache.json');
    const stale = JSON.parse(await readFile(record, 'utf8')) as { base: string; digest: string };
    await writeFile(record, JSON.stringify({ ...stale, base: `sha256:${'0'.repeat(64)}` }));
    const again = await buildCodeCacheLayer(store, base);
    expect(JSON.parse(await readFile(record, 'utf8'))).toEqual({ base: base.digest, digest: again.digest });
    expect(await store.has(again.digest)).toBe(true);
  });
});
