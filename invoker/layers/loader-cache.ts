import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { SharedObject } from './shared-libraries.js';

const run = promisify(execFile);

/**
 * The dynamic loader's cache (/etc/ld.so.cache) for exactly these libraries,
 * made by the host's ldconfig in a scratch root holding only them. Without it
 * the loader probes some twenty hwcaps and tls directories through overlayfs
 * on every start, about a millisecond of each cold start. ldconfig writes no
 * timestamps, so the same libraries give the same bytes.
 */
export async function loaderCache(libs: SharedObject[]): Promise<Buffer> {
  const root = await mkdtemp(join(tmpdir(), 'tsfn-ldcache-'));
  try {
    await mkdir(join(root, 'etc'));
    for (const lib of libs) {
      await mkdir(join(root, dirname(lib.path)), { recursive: true });
      await copyFile(lib.source, join(root, lib.path));
    }
    await run('ldconfig', ['-r', root], { env: { PATH: '/usr/sbin:/sbin:/usr/bin:/bin', LC_ALL: 'C' } });
    return await readFile(join(root, 'etc', 'ld.so.cache'));
  } catch (err) {
    throw new Error(`base layer: ldconfig failed: ${(err as Error).message}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
