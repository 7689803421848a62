import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths } from '../../core/paths.js';
import { sha256Digest } from './digest.js';
import { LayerStore } from './layer-store.js';
import { UnsafeArtifactError } from './unsafe-artifact-error.js';
import { tarball } from './tar-fixture.js';

const LIMITS = { maxBytes: 1024 * 1024, maxFiles: 100 };
const digestOf = (label: string) => sha256Digest(label);

let dataDir: string;
let store: LayerStore;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tsfn-layers-'));
  store = await LayerStore.open(dataDir);
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const tmpEntries = () => readdir(join(dataDir, 'layers', 'tmp'));
const writeLayer = (bytes: number) => (dir: string) => writeFile(join(dir, 'content'), Buffer.alloc(bytes, 1));

describe('LayerStore.ensure', () => {
  it('fills an absent layer once, under <data>/layers/sha256/<hex>', async () => {
    const digest = digestOf('a');
    let fills = 0;
    const fill = async (dir: string) => {
      fills++;
      await writeFile(join(dir, 'hello'), 'world');
    };
    expect(await store.has(digest)).toBe(false);
    const path = await store.ensure(digest, fill);
    expect(path).toBe(join(dataDir, 'layers', 'sha256', digest.slice('sha256:'.length)));
    expect(store.path(digest)).toBe(path);
    expect(await readFile(join(path, 'hello'), 'utf8')).toBe('world');
    expect(await store.has(digest)).toBe(true);
    expect(await store.ensure(digest, fill)).toBe(path);
    expect(await new LayerStore(dataDir).ensure(digest, fill)).toBe(path);
    expect(fills).toBe(1);
    expect(await tmpEntries()).toEqual([]);
  });

  it('refuses digests that are not sha256:<64 hex>', async () => {
    for (const bad of ['sha256:abc', 'md5:' + 'a'.repeat(64), 'sha256:' + 'A'.repeat(64), 'sha256:../../etc']) {
      expect(() => store.path(bad)).toThrow(/not a sha256 digest/);
      expect(() => store.markUsed(bad)).toThrow(/not a sha256 digest/);
      expect(() => store.ensure(bad, async () => {})).toThrow(/not a sha256 digest/);
    }
  });

  it('leaves nothing when the fill fails, and shows nothing while it runs', async () => {
    const digest = digestOf('b');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const failing = store.ensure(digest, async (dir) => {
      await writeFile(join(dir, 'half'), 'written');
      await gate;
      throw new Error('fill broke');
    });
    await sleep(20);
    expect(await store.has(digest)).toBe(false);
    expect(existsSync(store.path(digest))).toBe(false);
    release();
    await expect(failing).rejects.toThrow('fill broke');
    expect(await store.has(digest)).toBe(false);
    expect(await tmpEntries()).toEqual([]);
    await store.ensure(digest, writeLayer(10));
    expect(await readdir(store.path(digest))).toEqual(['content']);
  });

  it('shares one fill among concurrent callers for a digest', async () => {
    const digest = digestOf('c');
    let fills = 0;
    const fill = async (dir: string) => {
      fills++;
      await sleep(30);
      await writeFile(join(dir, 'f'), String(fills));
    };
    const paths = await Promise.all(Array.from({ length: 6 }, () => store.ensure(digest, fill)));
    expect(new Set(paths)).toEqual(new Set([store.path(digest)]));
    expect(fills).toBe(1);
    expect(await readFile(join(store.path(digest), 'f'), 'utf8')).toBe('1');
  });

  it('keeps the first copy when two stores race for one digest', async () => {
    const digest = digestOf('race');
    const other = new LayerStore(dataDir);
    const [a, b] = await Promise.all([
      store.ensure(digest, async (dir) => { await sleep(10); await writeFile(join(dir, 'who'), 'first'); }),
      other.ensure(digest, async (dir) => { await sleep(40); await writeFile(join(dir, 'who'), 'second'); }),
    ]);
    expect(a).toBe(b);
    expect(await readFile(join(a, 'who'), 'utf8')).toBe('first');
    expect(await tmpEntries()).toEqual([]);
  });
});

describe('LayerStore.ensureArtifact', () => {
  const artifact = tarball([{ path: 'index.js', body: 'export default 1' }, { path: 'lib/x.js', body: 'x' }]);
  const digest = sha256Digest(artifact);

  it('fetches, verifies and extracts once', async () => {
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      return artifact;
    };
    const path = await store.ensureArtifact(digest, fetch, LIMITS);
    expect(await readFile(join(path, 'index.js'), 'utf8')).toBe('export default 1');
    await store.ensureArtifact(digest, fetch, LIMITS);
    expect(fetches).toBe(1);
    expect(await tmpEntries()).toEqual([]);
  });

  it('refuses bytes that do not hash to the digest', async () => {
    const other = tarball([{ path: 'index.js', body: 'something else' }]);
    await expect(store.ensureArtifact(digest, async () => other, LIMITS)).rejects.toThrow(UnsafeArtifactError);
    await expect(store.ensureArtifact(digest, async () => other, LIMITS)).rejects.toThrow(/hashes to sha256:[0-9a-f]{64}, not sha256:/);
    expect(await store.has(digest)).toBe(false);
    expect(await tmpEntries()).toEqual([]);
  });

  it('refuses an unsafe artifact whose digest matches, leaving nothing', async () => {
    const hostile = tarball([{ path: 'l', type: 'symlink', linkpath: '../../..' }]);
    await expect(store.ensureArtifact(sha256Digest(hostile), async () => hostile, LIMITS)).rejects.toThrow(UnsafeArtifactError);
    expect(await store.has(sha256Digest(hostile))).toBe(false);
    expect(await tmpEntries()).toEqual([]);
  });
});

describe('LayerStore.evict', () => {
  /** Ensures layers in order, a little apart so their last uses differ. */
  async function layers(...labels: string[]) {
    for (const label of labels) {
      await store.ensure(digestOf(label), writeLayer(64 * 1024));
      await sleep(5);
    }
    const sizes = new Map((await store.list()).map((l) => [l.digest, l.bytes]));
    return (label: string) => sizes.get(digestOf(label))!;
  }

  it('removes least recently used layers not in use until under budget', async () => {
    const size = await layers('A', 'B', 'C', 'D');
    expect(size('A')).toBeGreaterThanOrEqual(64 * 1024);
    store.markUsed(digestOf('A'));
    await sleep(5);
    store.markUsed(digestOf('B'));
    store.release(digestOf('B'));

    const first = await store.evict(size('A') + size('B'));
    expect(first.evicted).toEqual([digestOf('C'), digestOf('D')]);
    expect(first.bytes).toBe(size('A') + size('B'));
    expect(await store.has(digestOf('C'))).toBe(false);
    expect(await store.has(digestOf('A'))).toBe(true);

    const second = await store.evict(0);
    expect(second.evicted).toEqual([digestOf('B')]);
    expect(second.bytes).toBe(size('A'));
    expect(await store.has(digestOf('A'))).toBe(true);

    store.release(digestOf('A'));
    expect((await store.evict(0)).evicted).toEqual([digestOf('A')]);
    expect(await store.list()).toEqual([]);
    expect(await readdir(join(dataDir, 'layers', 'meta'))).toEqual([]);
    expect(await tmpEntries()).toEqual([]);
  });

  it('removes nothing when under budget', async () => {
    const size = await layers('A', 'B');
    expect(await store.evict(size('A') + size('B'))).toEqual({ evicted: [], bytes: size('A') + size('B') });
  });

  it('remembers last use across a restart', async () => {
    const size = await layers('old', 'new');
    store.markUsed(digestOf('old'));
    store.release(digestOf('old'));
    await store.evict(Number.MAX_SAFE_INTEGER);
    const restarted = await LayerStore.open(dataDir);
    expect((await restarted.evict(size('old'))).evicted).toEqual([digestOf('new')]);
  });

  it('measures a layer whose size record was lost', async () => {
    const size = await layers('A');
    await rm(join(dataDir, 'layers', 'meta', `${digestOf('A').slice(7)}.json`));
    expect((await new LayerStore(dataDir).list()).map((l) => l.bytes)).toEqual([size('A')]);
  });

  it('refuses a release without a matching markUsed', () => {
    expect(() => store.release(digestOf('never'))).toThrow(/not in use/);
  });
});

describe('LayerStore.cleanTemp', () => {
  it('removes what a killed process left mid-fill, and nothing of a live one', async () => {
    const script = join(dataDir, 'crash.mts');
    await writeFile(script, `
      import { writeFile } from 'node:fs/promises';
      import { join } from 'node:path';
      import { LayerStore } from ${JSON.stringify(join(paths.root, 'invoker/layers/layer-store.ts'))};
      const store = await LayerStore.open(${JSON.stringify(dataDir)});
      await store.ensure(${JSON.stringify(digestOf('crash'))}, async (dir) => {
        await writeFile(join(dir, 'partial'), 'x');
        console.log('filling');
        await new Promise(() => {});
      });
    `);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: paths.root, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      expect(line.toString()).toContain('filling');
    } finally {
      child.kill('SIGKILL');
    }
    await once(child, 'exit');
    const left = await tmpEntries();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^${digestOf('crash').slice(7)}\\.${child.pid}\\.`));

    // A live process's entry (pid 1 always lives) stays.
    const live = join(dataDir, 'layers', 'tmp', `${'0'.repeat(64)}.1.abc`);
    await mkdir(live);
    await LayerStore.open(dataDir);
    expect(await tmpEntries()).toEqual([`${'0'.repeat(64)}.1.abc`]);
    expect(await store.has(digestOf('crash'))).toBe(false);
  });

  it('keeps its own fills in progress', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const filling = store.ensure(digestOf('slow'), async (dir) => {
      await writeFile(join(dir, 'f'), 'x');
      await gate;
    });
    await sleep(20);
    await store.cleanTemp();
    expect(await tmpEntries()).toHaveLength(1);
    release();
    const path = await filling;
    expect(await readdir(path)).toEqual(['f']);
  });
});
