import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes a directory tree occupies on disk, as du counts them: allocated blocks, each hardlinked inode once. */
export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path);
    const inode = `${st.dev}:${st.ino}`;
    if (seen.has(inode)) return;
    seen.add(inode);
    total += st.blocks * 512;
    if (!st.isDirectory()) return;
    for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(dir);
  return total;
}
