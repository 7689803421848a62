import { mkdir, mkdtemp, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listingDigest, listingText, readListing, type LayerEntry } from './layer-listing.js';

const entries: LayerEntry[] = [
  { path: '/', type: 'directory', mode: 0o755 },
  { path: '/bin', type: 'directory', mode: 0o755 },
  { path: '/bin/a', type: 'file', mode: 0o755, sha256: 'aa' },
  { path: '/l', type: 'symlink', mode: 0o777, target: 'bin/a' },
];

describe('listingDigest', () => {
  it('does not depend on the order entries come in', () => {
    expect(listingDigest([...entries].reverse())).toBe(listingDigest(entries));
  });

  it('changes with a mode, a content digest, a link target or a path', () => {
    const base = listingDigest(entries);
    const variants = [
      entries.map((e) => (e.path === '/bin/a' ? { ...e, mode: 0o644 } : e)),
      entries.map((e) => (e.path === '/bin/a' ? { ...e, sha256: 'ab' } : e)),
      entries.map((e) => (e.path === '/l' ? { ...e, target: 'bin/b' } : e)),
      entries.map((e) => (e.path === '/bin/a' ? { ...e, path: '/bin/b' } : e)),
    ];
    const digests = new Set([base, ...variants.map(listingDigest)]);
    expect(digests.size).toBe(5);
  });

  it('cannot be confused by names with spaces or newlines', () => {
    const a = listingText([{ path: '/x 0644 "/y"', type: 'directory', mode: 0o755 }]);
    const b = listingText([{ path: '/x', type: 'directory', mode: 0o755 }, { path: '/y', type: 'directory', mode: 0o644 }]);
    expect(a).not.toBe(b);
    expect(listingText([{ path: '/a\nfile 0755 "/b"', type: 'directory', mode: 0o755 }]).split('\n')).toHaveLength(2);
  });
});

describe('readListing', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsfn-listing-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists a tree as the canonical entries', async () => {
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'bin'), { mode: 0o755 });
    await writeFile(join(dir, 'bin', 'a'), 'hello');
    await chmod(join(dir, 'bin', 'a'), 0o755);
    await symlink('bin/a', join(dir, 'l'));
    const listed = await readListing(dir);
    expect(listed.sort((x, y) => (x.path < y.path ? -1 : 1))).toEqual([
      { path: '/', type: 'directory', mode: 0o755 },
      { path: '/bin', type: 'directory', mode: 0o755 },
      { path: '/bin/a', type: 'file', mode: 0o755, sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' },
      { path: '/l', type: 'symlink', mode: 0o777, target: 'bin/a' },
    ]);
  });
});
