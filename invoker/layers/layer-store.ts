import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, sha256Digest, type Digest } from './digest.js';
import { diskUsage } from './disk-usage.js';
import { extractArtifact, type ExtractLimits } from './safe-extract.js';
import { UnsafeArtifactError } from './unsafe-artifact-error.js';

/** Writes a layer's content into `dir`, an empty directory private to this fill. */
export type LayerFill = (dir: string) => Promise<void>;

export interface LayerInfo {
  digest: Digest;
  path: string;
  bytes: number;
  /** Epoch ms of the last ensure, markUsed or release. */
  lastUsed: number;
  inUse: boolean;
}

export interface EvictResult {
  evicted: Digest[];
  /** What the layers left take on disk. */
  bytes: number;
}

const HEX = /^[0-9a-f]{64}$/;

/**
 * Content-addressed, immutable layers under `<dataDir>/layers`:
 *
 *   sha256/<hex>/       a layer; present only once complete, never changed after
 *   meta/<hex>.json     its size on disk, `{"bytes": n}`; the file's mtime is its last use
 *   tmp/<hex>.<pid>.*   fills in progress and layers being evicted, owned by process <pid>
 *
 * A layer appears by one rename of a finished directory, so readers never see
 * half a layer, and a crash leaves only a temp entry, removed by the next
 * `cleanTemp` once its process is gone. In-use counts live in this process:
 * the invoker that owns the containers is the one that evicts.
 */
export class LayerStore {
  readonly root: string;
  readonly #inFlight = new Map<string, Promise<string>>();
  readonly #uses = new Map<string, number>();
  readonly #lastUsed = new Map<string, number>();
  readonly #activeTemps = new Set<string>();
  #dirs: Promise<void> | undefined;
  #evicting: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.root = join(dataDir, 'layers');
  }

  /** A store ready for use, with what crashed processes left behind removed. */
  static async open(dataDir: string): Promise<LayerStore> {
    const store = new LayerStore(dataDir);
    await store.cleanTemp();
    return store;
  }

  path(digest: string): string {
    return join(this.root, 'sha256', digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    return isDirectory(this.path(digest));
  }

  /**
   * The layer's path, filling it first if absent. Concurrent calls for one
   * digest in this process share a single fill (the first caller's); two
   * processes racing both fill, and the loser's copy is dropped.
   */
  ensure(digest: string, fill: LayerFill): Promise<string> {
    const hex = digestHex(digest);
    const pending = this.#inFlight.get(hex);
    if (pending) return pending;
    const created = this.#ensure(hex, fill).finally(() => this.#inFlight.delete(hex));
    this.#inFlight.set(hex, created);
    return created;
  }

  /**
   * A function's layer: fetches its tar.gz only when the layer is absent,
   * checks the bytes hash to `digest`, and extracts them safely. `finish`
   * runs on the extracted tree before it becomes the layer.
   */
  ensureArtifact(
    digest: string, fetch: () => Promise<Buffer>, limits: ExtractLimits, finish?: (dir: string) => Promise<void>,
  ): Promise<string> {
    return this.ensure(digest, async (dir) => {
      const tgz = await fetch();
      const actual = sha256Digest(tgz);
      if (actual !== digest) throw new UnsafeArtifactError(`artifact hashes to ${actual}, not ${digest}`);
      await extractArtifact(tgz, dir, limits);
      await finish?.(dir);
    });
  }

  /** Pins a layer against eviction until the matching `release`. */
  markUsed(digest: string): void {
    const hex = digestHex(digest);
    this.#uses.set(hex, (this.#uses.get(hex) ?? 0) + 1);
    this.#lastUsed.set(hex, Date.now());
  }

  release(digest: string): void {
    const hex = digestHex(digest);
    const uses = this.#uses.get(hex) ?? 0;
    if (uses === 0) throw new Error(`layer store: release of ${digest}, which is not in use`);
    if (uses === 1) this.#uses.delete(hex);
    else this.#uses.set(hex, uses - 1);
    this.#lastUsed.set(hex, Date.now());
  }

  async list(): Promise<LayerInfo[]> {
    await this.#ensureDirs();
    const names = (await readdir(join(this.root, 'sha256'))).filter((n) => HEX.test(n));
    return Promise.all(names.map(async (hex) => {
      const { bytes, mtimeMs } = await this.#meta(hex);
      return {
        digest: `sha256:${hex}` as Digest,
        path: join(this.root, 'sha256', hex),
        bytes,
        lastUsed: Math.max(mtimeMs, this.#lastUsed.get(hex) ?? 0),
        inUse: this.#uses.has(hex),
      };
    }));
  }

  /**
   * Removes the least recently used layers not in use until all layers
   * together take at most `budgetBytes`. Layers in use are never removed,
   * so the result can stay over budget.
   */
  evict(budgetBytes: number): Promise<EvictResult> {
    const run = this.#evicting.then(() => this.#evict(budgetBytes));
    this.#evicting = run.catch(() => {});
    return run;
  }

  /** Removes temp entries whose process is gone, and size records whose layer is gone. */
  async cleanTemp(): Promise<void> {
    await this.#ensureDirs();
    const tmp = join(this.root, 'tmp');
    for (const name of await readdir(tmp)) {
      const pid = Number(name.split('.')[1]);
      const ours = pid === process.pid && [...this.#activeTemps].some((a) => name.startsWith(a));
      if (ours || (pid !== process.pid && Number.isInteger(pid) && pid > 0 && processAlive(pid))) continue;
      await rm(join(tmp, name), { recursive: true, force: true });
    }
    for (const name of await readdir(join(this.root, 'meta'))) {
      const hex = name.replace(/\.json$/, '');
      if (!HEX.test(hex) || !(await isDirectory(join(this.root, 'sha256', hex)))) {
        await rm(join(this.root, 'meta', name), { force: true });
      }
    }
  }

  async #ensure(hex: string, fill: LayerFill): Promise<string> {
    const final = join(this.root, 'sha256', hex);
    if (await isDirectory(final)) {
      await this.#recordUse(hex, Date.now());
      return final;
    }
    await this.#ensureDirs();
    const tmp = await this.#tempEntry(hex);
    try {
      await mkdir(tmp, { mode: 0o755 });
      await fill(tmp);
      const bytes = await diskUsage(tmp);
      const won = await rename(tmp, final).then(() => true, (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST') return false;
        throw err;
      });
      if (won) await this.#writeMeta(hex, bytes);
      await this.#recordUse(hex, Date.now());
      return final;
    } finally {
      await rm(tmp, { recursive: true, force: true });
      this.#activeTemps.delete(tmp.slice(tmp.lastIndexOf('/') + 1));
    }
  }

  async #evict(budgetBytes: number): Promise<EvictResult> {
    const layers = await this.list();
    let bytes = layers.reduce((sum, l) => sum + l.bytes, 0);
    const evicted: Digest[] = [];
    for (const layer of layers.sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (bytes <= budgetBytes) break;
      const hex = digestHex(layer.digest);
      // Checked at removal time: a layer may have been taken since the listing.
      if (this.#uses.has(hex) || this.#inFlight.has(hex)) continue;
      await this.#remove(hex);
      bytes -= layer.bytes;
      evicted.push(layer.digest);
    }
    // markUsed and release only note the time in memory; keep it for the next process.
    await Promise.all([...this.#lastUsed].map(([hex, ms]) => this.#recordUse(hex, ms)));
    return { evicted, bytes };
  }

  /** Out of sight with one rename first, so nobody finds half a layer, then deleted. */
  async #remove(hex: string): Promise<void> {
    const doomed = await this.#tempEntry(hex);
    try {
      await rename(join(this.root, 'sha256', hex), doomed);
      await rm(join(this.root, 'meta', `${hex}.json`), { force: true });
      this.#lastUsed.delete(hex);
      await rm(doomed, { recursive: true, force: true });
    } finally {
      this.#activeTemps.delete(doomed.slice(doomed.lastIndexOf('/') + 1));
    }
  }

  async #meta(hex: string): Promise<{ bytes: number; mtimeMs: number }> {
    const file = join(this.root, 'meta', `${hex}.json`);
    try {
      const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      const bytes = (JSON.parse(text) as { bytes?: unknown }).bytes;
      if (typeof bytes === 'number') return { bytes, mtimeMs: st.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
    // A layer whose record a crash lost: measure it once, and date it by the layer itself.
    const layer = join(this.root, 'sha256', hex);
    const [bytes, { mtimeMs }] = await Promise.all([diskUsage(layer), stat(layer)]);
    await this.#writeMeta(hex, bytes);
    await this.#recordUse(hex, mtimeMs);
    return { bytes, mtimeMs };
  }

  /**
   * Writes `value` as JSON to `<root>/<name>`, whole or not at all: through
   * tmp/, where a crash leaves nothing for good (cleanTemp). For the records
   * beside the layers, such as which layer a recipe made.
   */
  async writeRecord(name: string, value: unknown): Promise<void> {
    const tmp = await this.#tempEntry(name.replace(/[^A-Za-z0-9]/g, '-'));
    try {
      await writeFile(tmp, JSON.stringify(value));
      await rename(tmp, join(this.root, name));
    } finally {
      this.#activeTemps.delete(tmp.slice(tmp.lastIndexOf('/') + 1));
    }
  }

  #writeMeta(hex: string, bytes: number): Promise<void> {
    return this.writeRecord(join('meta', `${hex}.json`), { bytes });
  }

  /** The size record's mtime is the layer's last use, so LRU order survives a restart. */
  async #recordUse(hex: string, ms: number): Promise<void> {
    if (ms > (this.#lastUsed.get(hex) ?? 0)) this.#lastUsed.set(hex, ms);
    const file = join(this.root, 'meta', `${hex}.json`);
    await utimes(file, ms / 1000, ms / 1000).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** A fresh name under tmp/ carrying this process's pid, registered as active until released. */
  async #tempEntry(stem: string): Promise<string> {
    await this.#ensureDirs();
    const name = `${stem}.${process.pid}.${randomBytes(6).toString('hex')}`;
    this.#activeTemps.add(name);
    return join(this.root, 'tmp', name);
  }

  #ensureDirs(): Promise<void> {
    this.#dirs ??= Promise.all(['sha256', 'meta', 'tmp'].map((d) => mkdir(join(this.root, d), { recursive: true })))
      .then(() => undefined);
    return this.#dirs;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** Signal 0 probes without signalling; EPERM still means someone holds the pid. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
