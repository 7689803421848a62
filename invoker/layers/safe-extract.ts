import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, link, mkdir, open, readdir, rename, rm, symlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ReadEntry } from 'tar';
import { LayerTree } from './layer-tree.js';
import { readTarGz } from './tar-entries.js';
import { UnsafeArtifactError } from './unsafe-artifact-error.js';

export { UnsafeArtifactError };

export interface ExtractLimits {
  /** Most bytes of regular-file content. */
  maxBytes: number;
  /** Most inodes created: entries of every type plus the parent directories they imply. */
  maxFiles: number;
}

export interface ExtractResult {
  files: number;
  bytes: number;
}

/** Headers, pax records and padding a sane archive carries per entry, on top of its content. */
const TAR_OVERHEAD_PER_FILE = 8 * 1024;
const TAR_OVERHEAD_FIXED = 1024 * 1024;
const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

const quote = (s: string) => JSON.stringify(s);

/**
 * Extracts a tar.gz into `dest` (absent or an empty directory), all or
 * nothing: the archive is written into a private directory beside `dest` and
 * renamed onto it only once every entry has passed, so a refused archive
 * leaves nothing behind. Refuses, with an UnsafeArtifactError naming the
 * entry: absolute paths, `..`, writes through symlinks, symlinks and
 * hardlinks that lead out of the layer, device nodes, FIFOs,
 * setuid/setgid/sticky bits, archives over the limits, and input that is not
 * a readable tar.gz. Modes are normalized to 0755 / 0644 by the
 * executable bit; files belong to the extracting user (root in the invoker).
 */
export async function extractArtifact(
  tgz: Buffer | Readable,
  dest: string,
  limits: ExtractLimits,
): Promise<ExtractResult> {
  const work = join(dirname(dest), `${basename(dest)}.${randomBytes(6).toString('hex')}.part`);
  await mkdir(work, { mode: 0o755 });
  try {
    await chmod(work, 0o755);
    const extraction = new Extraction(work, limits);
    const maxTarBytes = limits.maxBytes + limits.maxFiles * TAR_OVERHEAD_PER_FILE + TAR_OVERHEAD_FIXED;
    await readTarGz(tgz, (entry, signal) => extraction.write(entry, signal), maxTarBytes);
    extraction.tree.checkLinks();
    await replaceEmptyDir(work, dest);
    return { files: extraction.files, bytes: extraction.bytes };
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

/** Renames over `dest` only when it is absent or empty (rename(2) refuses a non-empty directory). */
async function replaceEmptyDir(work: string, dest: string): Promise<void> {
  const existing = await readdir(dest).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (existing.length > 0) throw new Error(`extract: destination ${dest} is not empty`);
  await rename(work, dest);
}

/**
 * Writes an entry's body to `fd`, one chunk at a time. Events rather than
 * async iteration: a pending iterator on a tar entry never settles if the
 * archive fails under it, and this must stop on `signal` instead.
 */
function copyBody(entry: ReadEntry, fd: FileHandle, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    entry.on('data', (chunk: Buffer) => {
      entry.pause();
      writeAll(fd, chunk).then(() => entry.resume(), reject);
    });
    entry.once('error', reject);
    entry.once('end', () => {
      signal.removeEventListener('abort', abort);
      resolve();
    });
  });
}

async function writeAll(fd: FileHandle, chunk: Buffer): Promise<void> {
  for (let done = 0; done < chunk.length;) done += (await fd.write(chunk, done)).bytesWritten;
}

class Extraction {
  readonly tree = new LayerTree();
  files = 0;
  bytes = 0;

  constructor(private readonly root: string, private readonly limits: ExtractLimits) {}

  async write(entry: ReadEntry, signal: AbortSignal): Promise<void> {
    const name = entry.path;
    const mode = entry.mode ?? 0o644;
    if (mode & 0o7000) {
      throw new UnsafeArtifactError(`entry ${quote(name)}: setuid, setgid or sticky bit in mode ${mode.toString(8)}`);
    }
    const path = LayerTree.normalize(name, name);
    switch (entry.type) {
      case 'Directory': {
        await this.#mkdirs(this.tree.addDirectory(path, name), name);
        break;
      }
      case 'File':
      case 'OldFile':
      case 'ContiguousFile': {
        await this.#mkdirs(this.tree.addFile(path, name), name);
        await this.#writeFile(entry, path, mode, signal);
        return;
      }
      case 'SymbolicLink': {
        const target = entry.linkpath ?? '';
        await this.#mkdirs(this.tree.addSymlink(path, target, name), name);
        this.#count(1, name);
        await symlink(target, join(this.root, path));
        break;
      }
      case 'Link': {
        const { target, parents } = this.tree.addHardlink(path, entry.linkpath ?? '', name);
        await this.#mkdirs(parents, name);
        this.#count(1, name);
        await link(join(this.root, target), join(this.root, path));
        break;
      }
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        throw new UnsafeArtifactError(`entry ${quote(name)}: ${entry.type} is not allowed in a layer`);
      default:
        throw new UnsafeArtifactError(`entry ${quote(name)}: unsupported entry type ${entry.type}`);
    }
    // Bodyless entries still have to flow for the parser to move to the next one.
    entry.resume();
  }

  async #writeFile(entry: ReadEntry, path: string, mode: number, signal: AbortSignal): Promise<void> {
    this.#count(1, entry.path);
    if (this.bytes + entry.size > this.limits.maxBytes) {
      throw new UnsafeArtifactError(`entry ${quote(entry.path)}: content passes the limit of ${this.limits.maxBytes} bytes`);
    }
    this.bytes += entry.size;
    const fd = await open(join(this.root, path), CREATE_FILE, 0o600);
    try {
      await copyBody(entry, fd, signal);
      await fd.chmod(mode & 0o111 ? 0o755 : 0o644);
    } finally {
      await fd.close();
    }
  }

  async #mkdirs(dirs: string[], name: string): Promise<void> {
    this.#count(dirs.length, name);
    for (const dir of dirs) {
      const abs = join(this.root, dir);
      await mkdir(abs);
      // Explicit, so the result does not depend on the process umask.
      await chmod(abs, 0o755);
    }
  }

  #count(inodes: number, name: string): void {
    this.files += inodes;
    if (this.files > this.limits.maxFiles) {
      throw new UnsafeArtifactError(`entry ${quote(name)}: archive passes the limit of ${this.limits.maxFiles} files`);
    }
  }
}
