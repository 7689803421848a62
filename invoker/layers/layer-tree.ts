import { posix } from 'node:path';
import { UnsafeArtifactError } from './unsafe-artifact-error.js';

type Node = { kind: 'directory' } | { kind: 'file' } | { kind: 'symlink'; target: string };

/** The kernel's own limit on symlinks followed while resolving one path. */
const MAX_HOPS = 40;

/** Linux's PATH_MAX and NAME_MAX, in bytes. */
const PATH_MAX = 4095;
const NAME_MAX = 255;

const quote = (s: string) => JSON.stringify(s);

/** Lengths the kernel would refuse anyway, refused here with the entry's name rather than as a stray fs error. */
function checkName(name: string, entry: string): void {
  if (Buffer.byteLength(name) > PATH_MAX || name.split('/').some((part) => Buffer.byteLength(part) > NAME_MAX)) {
    throw new UnsafeArtifactError(`entry ${quote(entry)}: name too long`);
  }
}

/**
 * The model of what an archive has created so far in its layer, keyed by
 * normalized relative path ('' is the layer root), and the rules that keep
 * every entry inside the layer. Extraction starts from an empty private
 * directory, so this model is exact: nothing on disk can be a symlink unless
 * it is recorded here, and a path is safe to create when no recorded symlink
 * lies on it. Each `add*` returns the directories the caller must create,
 * outermost first: the missing parents (and, for `addDirectory`, the
 * directory itself when new).
 */
export class LayerTree {
  readonly #nodes = new Map<string, Node>([['', { kind: 'directory' }]]);

  /** Refuses absolute paths and any `..` component; drops `.` and empty components. */
  static normalize(raw: string, entry: string): string {
    checkName(raw, entry);
    if (raw.startsWith('/')) throw new UnsafeArtifactError(`entry ${quote(entry)}: absolute path ${quote(raw)}`);
    const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw new UnsafeArtifactError(`entry ${quote(entry)}: ".." in path ${quote(raw)}`);
    return parts.join('/');
  }

  addDirectory(path: string, entry: string): string[] {
    const existing = this.#nodes.get(path);
    if (existing?.kind === 'directory') return [];
    return [...this.#addNew(path, entry, { kind: 'directory' }), path];
  }

  addFile(path: string, entry: string): string[] {
    return this.#addNew(path, entry, { kind: 'file' });
  }

  /** The target is checked lexically from the link's directory here, and physically, through every other link, by `checkLinks`. */
  addSymlink(path: string, target: string, entry: string): string[] {
    if (target === '') throw new UnsafeArtifactError(`entry ${quote(entry)}: empty symlink target`);
    checkName(target, entry);
    if (target.startsWith('/')) {
      throw new UnsafeArtifactError(`entry ${quote(entry)}: symlink to absolute path ${quote(target)}`);
    }
    const resolved = posix.normalize(posix.join(posix.dirname(path), target));
    if (resolved === '..' || resolved.startsWith('../')) {
      throw new UnsafeArtifactError(`entry ${quote(entry)}: symlink target ${quote(target)} leaves the layer`);
    }
    return this.#addNew(path, entry, { kind: 'symlink', target });
  }

  /** A hardlink may only name a regular file already extracted, reached through no symlink. */
  addHardlink(path: string, rawTarget: string, entry: string): { target: string; parents: string[] } {
    const target = LayerTree.normalize(rawTarget, entry);
    this.#parentsOf(target, entry, 'hardlink target');
    const node = this.#nodes.get(target);
    if (node?.kind !== 'file') {
      const what = node ? `a ${node.kind}` : 'not in the archive before it';
      throw new UnsafeArtifactError(`entry ${quote(entry)}: hardlink target ${quote(rawTarget)} is ${what}`);
    }
    return { target, parents: this.#addNew(path, entry, { kind: 'file' }) };
  }

  /**
   * Resolves every symlink as the kernel would, through the other symlinks in
   * the layer, and refuses any that climbs above the layer root. Run once the
   * whole archive is known, since a link created later can change where an
   * earlier one leads (`a/s -> x/../..` is lexically inside until `a/x -> .`).
   */
  checkLinks(): void {
    for (const [path, node] of this.#nodes) {
      if (node.kind !== 'symlink') continue;
      if (this.#escapes(path, node.target)) {
        throw new UnsafeArtifactError(`entry ${quote(path)}: symlink target ${quote(node.target)} leaves the layer through other links`);
      }
    }
  }

  #escapes(linkPath: string, target: string): boolean {
    const dir = linkPath.split('/').slice(0, -1);
    const pending = target.split('/');
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (dir.length === 0) return true;
        dir.pop();
        continue;
      }
      dir.push(part);
      const node = this.#nodes.get(dir.join('/'));
      if (node?.kind !== 'symlink') continue;
      // A loop is no breakout: the kernel stops it with ELOOP.
      if (++hops > MAX_HOPS) return false;
      dir.pop();
      pending.unshift(...node.target.split('/'));
    }
    return false;
  }

  #addNew(path: string, entry: string, node: Node): string[] {
    if (path === '') throw new UnsafeArtifactError(`entry ${quote(entry)}: replaces the layer root`);
    const parents = this.#parentsOf(path, entry, 'path');
    const existing = this.#nodes.get(path);
    if (existing) {
      const what = existing.kind === 'symlink' ? 'writes through a symlink' : `duplicates a ${existing.kind}`;
      throw new UnsafeArtifactError(`entry ${quote(entry)}: ${what}`);
    }
    for (const p of parents) this.#nodes.set(p, { kind: 'directory' });
    this.#nodes.set(path, node);
    return parents;
  }

  #parentsOf(path: string, entry: string, what: string): string[] {
    const parts = path.split('/');
    const missing: string[] = [];
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const node = this.#nodes.get(parent);
      if (node?.kind === 'symlink') {
        throw new UnsafeArtifactError(`entry ${quote(entry)}: ${what} passes through symlink ${quote(parent)}`);
      }
      if (node?.kind === 'file') {
        throw new UnsafeArtifactError(`entry ${quote(entry)}: ${what} passes through file ${quote(parent)}`);
      }
      if (!node) missing.push(parent);
    }
    return missing;
  }
}
