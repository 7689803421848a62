import { lstat, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildBaseLayer } from './base-layer.js';
import { BASE_PATHS, SKELETON_FILES } from './base-skeleton.js';
import { LayerStore } from './layer-store.js';

// A small dynamic executable stands in for node: same code path, a fraction of the bytes.
const NODE = '/bin/true';

let dir: string;
let shim: string;
let shimBoot: string;
let store: LayerStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsfn-base-unit-'));
  shim = join(dir, 'shim.cjs');
  await writeFile(shim, 'module.exports = 1;\n');
  shimBoot = join(dir, 'shim-boot.cjs');
  await writeFile(shimBoot, 'require("./shim.cjs");\n');
  store = await LayerStore.open(join(dir, 'data'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every path in the layer, with a type letter and the mode. */
async function tree(root: string, rel = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(join(root, rel))) {
    const path = `${rel}/${name}`;
    const st = await lstat(join(root, path));
    out.set(path, `${st.isDirectory() ? 'd' : st.isFile() ? 'f' : 'other'} ${(st.mode & 0o7777).toString(8)}`);
    if (st.isDirectory()) for (const [p, v] of await tree(root, path)) out.set(p, v);
  }
  return out;
}

describe('buildBaseLayer', () => {
  it('lays out node, its libraries and loader, /etc, the mount points and the shim, all as real files', async () => {
    const { digest, path } = await buildBaseLayer(store, { nodePath: NODE, shimPath: shim, shimBootPath: shimBoot });
    expect(path).toBe(store.path(digest));
    const layer = await tree(path);
    expect(layer.get(BASE_PATHS.node)).toBe('f 755');
    expect(await readFile(join(path, BASE_PATHS.node))).toEqual(await readFile(NODE));
    expect(layer.get(BASE_PATHS.shim)).toBe('f 644');
    expect(layer.get(BASE_PATHS.shimBoot)).toBe('f 644');
    expect(layer.has(BASE_PATHS.shimCodeCache)).toBe(false);
    expect(layer.get(BASE_PATHS.caCertificates)).toBe('f 644');
    expect([...layer.keys()].some((p) => /\/libc\.so\.6$/.test(p))).toBe(true);
    expect([...layer.keys()].some((p) => /^\/lib(64)?\/.*ld-linux.*\.so\.\d$/.test(p))).toBe(true);
    for (const [file, content] of Object.entries(SKELETON_FILES)) {
      expect(await readFile(join(path, file), 'utf8')).toBe(content);
    }
    expect(await readFile(join(path, '/etc/passwd'), 'utf8')).toMatch(/^nobody:x:65534:65534:/m);
    const passwd = await readFile(join(path, '/etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^fn0:x:2000000000:65534:tsfn function:\/tmp:\/usr\/sbin\/nologin$/m);
    expect(passwd).toMatch(/^fn2047:x:2000002047:65534:/m);
    expect(passwd.split('\n').filter((l) => l.startsWith('fn'))).toHaveLength(2048);
    expect(layer.get('/tmp')).toBe('d 1777');
    for (const d of ['/var/task', '/proc', '/dev', '/sys', '/opt/tsfn']) expect(layer.get(d)).toBe('d 755');
    expect([...layer.values()].filter((v) => v.startsWith('other'))).toEqual([]);
  });

  it('answers from its cache while the inputs keep their size and mtime, and rebuilds when they do not', async () => {
    // A whole second, which utimes can set back exactly.
    const mtime = new Date(1_700_000_000_000);
    await utimes(shim, mtime, mtime);
    const first = await buildBaseLayer(store, { nodePath: NODE, shimPath: shim, shimBootPath: shimBoot });
    // Same size, same mtime, other content: the cache is keyed by size and mtime, so it answers.
    await writeFile(shim, 'module.exports = 2;\n');
    await utimes(shim, mtime, mtime);
    expect((await buildBaseLayer(store, { nodePath: NODE, shimPath: shim, shimBootPath: shimBoot })).digest).toBe(first.digest);

    await utimes(shim, new Date(mtime.getTime() + 1000), new Date(mtime.getTime() + 1000));
    const rebuilt = await buildBaseLayer(store, { nodePath: NODE, shimPath: shim, shimBootPath: shimBoot });
    expect(rebuilt.digest).not.toBe(first.digest);
    expect(await readFile(join(rebuilt.path, BASE_PATHS.shim), 'utf8')).toBe('module.exports = 2;\n');
  });

  it('rebuilds when the cached layer was evicted', async () => {
    const first = await buildBaseLayer(store, { nodePath: NODE, shimPath: shim, shimBootPath: shimBoot });
    expect((await store.evict(0)).evicted).toEqual([first.digest]);
    const again = await buildBaseLayer(store, { nodePath: NODE, shimPath: shim, shimBootPath: shimBoot });
    expect(again).toEqual(first);
    expect(await store.has(first.digest)).toBe(true);
  });

  it('names the missing input', async () => {
    await expect(buildBaseLayer(store, { nodePath: NODE, shimPath: join(dir, 'absent.cjs'), shimBootPath: shimBoot }))
      .rejects.toThrow(/absent\.cjs is needed for \/opt\/tsfn\/shim\.cjs/);
    expect(await readdir(join(store.root, 'tmp'))).toEqual([]);
  });
});
