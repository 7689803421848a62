import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Digest, type Digest } from './digest.js';

/** One path of a layer as its digest sees it; owners are not part of it (layers are root's). */
export interface LayerEntry {
  /** Absolute inside the layer: '/', '/usr/bin/node'. */
  path: string;
  type: 'directory' | 'file' | 'symlink';
  /** Permission bits, setuid/setgid/sticky included. */
  mode: number;
  /** Hex sha256 of a file's content. */
  sha256?: string;
  /** A symlink's target. */
  target?: string;
}

/**
 * The canonical text of a layer: one line per path, sorted, naming type, mode
 * and content digest or link target. Same tree, same text, same digest.
 */
export function listingText(entries: LayerEntry[]): string {
  return [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((e) => `${e.type} ${e.mode.toString(8).padStart(4, '0')} ${JSON.stringify(e.path)} ${e.sha256 ?? JSON.stringify(e.target ?? '')}\n`)
    .join('');
}

export function listingDigest(entries: LayerEntry[]): Digest {
  return sha256Digest(listingText(entries));
}

/** The listing of a tree on disk, for checking that what was written is what was meant. */
export async function readListing(dir: string): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const abs = join(dir, rel);
    const st = await lstat(abs);
    const path = rel === '' ? '/' : rel;
    const mode = st.mode & 0o7777;
    if (st.isDirectory()) {
      entries.push({ path, type: 'directory', mode });
      for (const name of await readdir(abs)) await walk(`${rel}/${name}`);
    } else if (st.isSymbolicLink()) {
      entries.push({ path, type: 'symlink', mode: 0o777, target: await readlink(abs) });
    } else if (st.isFile()) {
      entries.push({ path, type: 'file', mode, sha256: await fileSha256(abs) });
    } else {
      throw new Error(`layer listing: ${abs} is neither file, directory nor symlink`);
    }
  };
  await walk('');
  return entries;
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
