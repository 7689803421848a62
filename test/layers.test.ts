import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { buildBaseLayer } from '../invoker/layers/base-layer.js';
import { BASE_PATHS } from '../invoker/layers/base-skeleton.js';
import { listingDigest, readListing } from '../invoker/layers/layer-listing.js';
import { LayerStore } from '../invoker/layers/layer-store.js';

const run = promisify(execFile);
const CHROOT = ['/usr/sbin/chroot', '/usr/bin/chroot', '/sbin/chroot'].find((p) => existsSync(p));

let scratch: string;
let shim: string;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('test/layers.test.ts must run as root: it chroots into the base layer');
  if (!CHROOT) throw new Error('test/layers.test.ts needs chroot(8) (coreutils)');
  scratch = await mkdtemp(join(tmpdir(), 'tsfn-base-layer-'));
  // The real shim once scripts/build.mjs has produced it; until then any file stands in.
  shim = join(scratch, 'shim.cjs');
  if (existsSync(paths.shim)) await copyFile(paths.shim, shim);
  else await writeFile(shim, '// stand-in shim\n');
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const storeIn = (name: string) => LayerStore.open(join(scratch, name));

describe('base layer', () => {
  it('is deterministic: two fresh builds and a cached answer agree, and the digest is the listing of what is on disk', async () => {
    const first = await buildBaseLayer(await storeIn('a'), { shimPath: shim });
    const second = await buildBaseLayer(await storeIn('b'), { shimPath: shim });
    expect(second.digest).toBe(first.digest);
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(listingDigest(await readListing(second.path))).toBe(second.digest);

    const store = await storeIn('a');
    expect(await buildBaseLayer(store, { shimPath: shim })).toEqual(first);
    // Without its cache record the store recomputes, and still agrees.
    await rm(join(store.root, 'base-layer.json'));
    expect(await buildBaseLayer(store, { shimPath: shim })).toEqual(first);
  });

  it('changes digest when the shim changes', async () => {
    const store = await storeIn('c');
    const before = await buildBaseLayer(store, { shimPath: shim });
    const changed = join(scratch, 'changed-shim.cjs');
    await copyFile(shim, changed);
    await appendFile(changed, '\n// one more line\n');
    const after = await buildBaseLayer(store, { shimPath: changed });
    expect(after.digest).not.toBe(before.digest);
    expect(await readFile(join(after.path, BASE_PATHS.shim), 'utf8')).toBe(await readFile(changed, 'utf8'));
    expect(await store.has(before.digest)).toBe(true);
  });

  it('holds copies of the host files, not links to them', async () => {
    const { path } = await buildBaseLayer(await storeIn('a'), { shimPath: shim });
    const [host, copy] = await Promise.all([stat(process.execPath), stat(join(path, BASE_PATHS.node))]);
    expect(copy.ino).not.toBe(host.ino);
    expect(copy.size).toBe(host.size);
    expect(copy.nlink).toBe(1);
    expect((await stat(join(path, 'tmp'))).mode & 0o7777).toBe(0o1777);
  });

  it('runs node under chroot with an empty environment: the library closure is complete', async () => {
    const { path } = await buildBaseLayer(await storeIn('a'), { shimPath: shim });
    const script = "console.log(require('crypto').randomUUID())";
    const { stdout } = await run('env', ['-i', CHROOT!, path, BASE_PATHS.node, '-e', script]);
    expect(stdout.trim()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('answers users and localhost from its own /etc, as nobody', async () => {
    const { path } = await buildBaseLayer(await storeIn('a'), { shimPath: shim });
    const script = "require('dns').lookup('localhost', 4, (e, a) => console.log(require('os').userInfo().username, e ?? a))";
    const { stdout } = await run('env', ['-i', CHROOT!, '--userspec=65534:65534', path, BASE_PATHS.node, '-e', script]);
    expect(stdout.trim()).toBe('nobody 127.0.0.1');
  });
});
