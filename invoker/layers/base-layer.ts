import { readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { paths } from '../../core/paths.js';
import { sha256Digest, type Digest } from './digest.js';
import { BASE_PATHS, SKELETON_DIRECTORIES, SKELETON_FILES } from './base-skeleton.js';
import { plannedDigest, writeLayer, type PlannedFile } from './file-layer.js';
import type { LayerStore } from './layer-store.js';
import { loaderCache } from './loader-cache.js';
import { sharedLibraries } from './shared-libraries.js';

export interface BaseLayerOptions {
  /** The host's node binary; this process's by default. */
  nodePath?: string;
  /** The bundled runtime shim (paths.shim, dist/shim.cjs). */
  shimPath: string;
  /** The shim's entry (default paths.shimBoot, dist/shim-boot.cjs). */
  shimBootPath?: string;
}

export interface BaseLayer {
  digest: Digest;
  path: string;
}

/** What a host input looked like: a new symlink target, size or mtime means it changed. */
interface Stamp {
  hostPath: string;
  source: string;
  size: number;
  mtimeMs: number;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const CACHE_RECORD = 'base-layer.json';
/** Bumped when what goes into the layer changes in code rather than in its inputs. */
const RECIPE_VERSION = 3;

interface CacheRecord {
  recipe: string;
  digest: Digest;
  inputs: Stamp[];
}

/**
 * The read-only layer every container starts from: node at /usr/bin/node,
 * every shared object it loads at the path the loader looks for it (real
 * copies, symlinks resolved), CA certificates, a minimal /etc, the empty
 * mount points, and the shim at /opt/tsfn/shim.cjs with its entry boot.cjs
 * (but not its code cache, which differs from build to build:
 * code-cache-layer.ts). Its digest is that of
 * its canonical listing, so the same inputs always give the same layer. A
 * cache record keyed by the host files' paths, sizes and mtimes answers
 * later calls without ldd or hashing.
 */
export async function buildBaseLayer(store: LayerStore, opts: BaseLayerOptions): Promise<BaseLayer> {
  const nodePath = opts.nodePath ?? process.execPath;
  const shimBootPath = opts.shimBootPath ?? paths.shimBoot;
  const recipe = sha256Digest(JSON.stringify({
    RECIPE_VERSION, nodePath, shimPath: opts.shimPath, shimBootPath, BASE_PATHS, SKELETON_DIRECTORIES, SKELETON_FILES,
  }));
  const cacheFile = join(store.root, CACHE_RECORD);
  const cached = await readCache(cacheFile, recipe);
  if (cached && (await store.has(cached))) return { digest: cached, path: store.path(cached) };

  const files = await planFiles(nodePath, opts.shimPath, shimBootPath);
  const before = await stamps(files);
  const digest = await plannedDigest(files, SKELETON_DIRECTORIES);
  const path = await store.ensure(digest, async (dir) => {
    const written = await writeLayer(dir, files, SKELETON_DIRECTORIES);
    if (written !== digest) {
      throw new Error(`base layer: host files changed while it was built (expected ${digest}, wrote ${written}); build again`);
    }
  });
  const after = await stamps(files);
  // A host file that changed under the build may not match the digest: do not vouch for it.
  if (JSON.stringify(before) === JSON.stringify(after)) await store.writeRecord(CACHE_RECORD, { recipe, digest, inputs: after });
  return { digest, path };
}

async function planFiles(nodePath: string, shimPath: string, shimBootPath: string): Promise<PlannedFile[]> {
  const fromHost = async (path: string, hostPath: string, mode?: number): Promise<PlannedFile> => {
    const source = await realpath(hostPath).catch((err: Error) => {
      throw new Error(`base layer: ${hostPath} is needed for ${path}: ${err.message}`);
    });
    return { path, hostPath, source, mode: mode ?? ((await stat(source)).mode & 0o111 ? 0o755 : 0o644) };
  };
  const libs = await sharedLibraries(nodePath);
  const planned: PlannedFile[] = [
    await fromHost(BASE_PATHS.node, nodePath, 0o755),
    await fromHost(BASE_PATHS.shim, shimPath, 0o644),
    await fromHost(BASE_PATHS.shimBoot, shimBootPath, 0o644),
    await fromHost(BASE_PATHS.caCertificates, BASE_PATHS.caCertificates, 0o644),
    ...(await Promise.all(libs.map((lib) => fromHost(lib.path, lib.source)))),
    ...Object.entries(SKELETON_FILES).map(([path, content]) => ({ path, content, mode: 0o644 })),
    { path: '/etc/ld.so.cache', content: await loaderCache(libs), mode: 0o644 },
  ];
  const seen = new Set<string>();
  for (const file of planned) {
    if (seen.has(file.path)) throw new Error(`base layer: two files want ${file.path}`);
    seen.add(file.path);
  }
  return planned;
}

async function stamps(files: PlannedFile[]): Promise<Stamp[]> {
  const inputs = files.flatMap((f) => (f.hostPath ? [f.hostPath] : []));
  return Promise.all(inputs.map(stamp));
}

async function stamp(hostPath: string): Promise<Stamp> {
  const source = await realpath(hostPath);
  const st = await stat(source);
  return { hostPath, source, size: st.size, mtimeMs: st.mtimeMs };
}

/** The cached digest when the recipe is the same and no input changed size or mtime. */
async function readCache(file: string, recipe: string): Promise<Digest | undefined> {
  let record: CacheRecord;
  try {
    record = JSON.parse(await readFile(file, 'utf8')) as CacheRecord;
  } catch {
    return undefined;
  }
  if (record.recipe !== recipe || !Array.isArray(record.inputs) || !DIGEST.test(record.digest)) return undefined;
  for (const input of record.inputs) {
    const now = await stamp(input.hostPath).catch(() => undefined);
    if (JSON.stringify(now) !== JSON.stringify(input)) return undefined;
  }
  return record.digest;
}
