import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Digest } from './digest.js';
import { fileSha256, listingDigest, readListing, type LayerEntry } from './layer-listing.js';

/** A file of a layer made by tsfn: copied from the host (`hostPath`, really `source`) or written from `content`. */
export interface PlannedFile {
  path: string;
  mode: number;
  hostPath?: string;
  source?: string;
  content?: string | Buffer;
}

/** Directories a layer must hold beyond the parents of its files, with their modes. */
export type Skeleton = Readonly<Record<string, number>>;

/** Every directory the layer holds: `/`, the skeleton's, and the parents of everything (0755). */
function plannedDirectories(files: PlannedFile[], skeleton: Skeleton): Map<string, number> {
  const dirs = new Map<string, number>([['/', 0o755], ...Object.entries(skeleton)]);
  for (const path of [...dirs.keys(), ...files.map((f) => f.path)]) {
    for (let dir = dirname(path); dir !== '/'; dir = dirname(dir)) if (!dirs.has(dir)) dirs.set(dir, 0o755);
  }
  return dirs;
}

/** The digest the layer will have (layer-listing.ts), before anything is written. */
export async function plannedDigest(files: PlannedFile[], skeleton: Skeleton = {}): Promise<Digest> {
  const dirs = [...plannedDirectories(files, skeleton)].map(([path, mode]): LayerEntry => ({ path, type: 'directory', mode }));
  const contents = await Promise.all(files.map(async (f): Promise<LayerEntry> => ({
    path: f.path,
    type: 'file',
    mode: f.mode,
    sha256: f.source ? await fileSha256(f.source) : createHash('sha256').update(f.content ?? '').digest('hex'),
  })));
  return listingDigest([...dirs, ...contents]);
}

/** Writes the planned layer into `dir` (a fresh fill of the store); the digest of what it wrote. */
export async function writeLayer(dir: string, files: PlannedFile[], skeleton: Skeleton = {}): Promise<Digest> {
  // Sorted, a parent comes before its children.
  for (const [path, mode] of [...plannedDirectories(files, skeleton)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const abs = join(dir, path);
    if (path !== '/') await mkdir(abs);
    await chmod(abs, mode);
  }
  for (const file of files) {
    const abs = join(dir, file.path);
    // Copies, never hardlinks: the layer must not change when the host's files do.
    if (file.source) await copyFile(file.source, abs);
    else await writeFile(abs, file.content ?? '');
    await chmod(abs, file.mode);
  }
  return listingDigest(await readListing(dir));
}
