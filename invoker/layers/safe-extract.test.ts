import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractArtifact, UnsafeArtifactError } from './safe-extract.js';
import { header, rawTar, tarball, type FixtureEntry } from './tar-fixture.js';

const LIMITS = { maxBytes: 8 * 1024 * 1024, maxFiles: 1000 };

let root: string;
let dest: string;

beforeEach(async () => {
  // root/outside is what a breakout would hit; root/work holds dest and its temp sibling.
  root = await mkdtemp(join(tmpdir(), 'tsfn-extract-'));
  await mkdir(join(root, 'outside', 'nested'), { recursive: true });
  await writeFile(join(root, 'outside', 'sentinel'), 'untouched');
  await writeFile(join(root, 'outside', 'nested', 'file'), 'untouched too');
  await symlink('../outside', join(root, 'outside', 'self'));
  await mkdir(join(root, 'work'));
  dest = join(root, 'work', 'layer');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every path under `dir` with its type, mode and content digest or link target. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, p));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`l ${p} -> ${await readlink(join(dir, p))}`);
      else if (st.isDirectory()) {
        out.push(`d ${mode} ${p}`);
        await walk(p);
      } else out.push(`f ${mode} ${p} ${createHash('sha256').update(await readFile(join(dir, p))).digest('hex')}`);
    }
  };
  await walk('');
  return out;
}

async function expectRefused(archive: Buffer | Readable, message: RegExp, limits = LIMITS) {
  const before = await snapshot(root);
  const err = await extractArtifact(archive, dest, limits).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UnsafeArtifactError);
  expect((err as Error).message).toMatch(message);
  // Nothing appeared anywhere: no dest, no temp sibling, the sentinel tree intact.
  expect(await snapshot(root)).toEqual(before);
}

const file = (path: string, body: string | Buffer = 'x', mode?: number): FixtureEntry => ({ path, body, mode });
const sym = (path: string, linkpath: string): FixtureEntry => ({ path, type: 'symlink', linkpath });
const hard = (path: string, linkpath: string): FixtureEntry => ({ path, type: 'hardlink', linkpath });

describe('extractArtifact refuses breakouts', () => {
  const corpus: [string, () => FixtureEntry[], RegExp][] = [
    ['an absolute path', () => [file(join(root, 'outside', 'evil'))], /entry ".*outside\/evil": absolute path/],
    ['a leading ..', () => [file('../outside/evil')], /entry "\.\.\/outside\/evil": "\.\." in path/],
    ['a .. that climbs out from deep', () => [file('a/b/../../../outside/evil')], /"\.\." in path/],
    ['a .. that stays inside', () => [file('a/../b')], /entry "a\/\.\.\/b": "\.\." in path/],
    ['an absolute symlink, then a write through it', () => [sym('l', join(root, 'outside')), file('l/evil')],
      /entry "l": symlink to absolute path/],
    ['a relative symlink out, then a write through it', () => [sym('l', '../../outside'), file('l/evil')],
      /entry "l": symlink target "\.\.\/\.\.\/outside" leaves the layer/],
    ['a symlink out from a subdirectory', () => [sym('a/b/l', '../../../outside')], /entry "a\/b\/l": .*leaves the layer/],
    ['a symlink on the layer root', () => [sym('.', '..')], /entry "\.": .*leaves the layer/],
    ['a write through an inside symlink', () => [sym('a/l', '..'), file('a/l/evil')],
      /entry "a\/l\/evil": path passes through symlink "a\/l"/],
    ['a directory through a symlink', () => [sym('l', '.'), { path: 'l/d/', type: 'dir' }],
      /entry "l\/d\/": path passes through symlink "l"/],
    ['a symlink that later leaves through a link created after it', () => [sym('a/s', 'x/../..'), sym('a/x', '.')],
      /entry "a\/s": symlink target "x\/\.\.\/\.\." leaves the layer through other links/],
    ['a multi-hop chain of links each lexically inside', () => [sym('a/x', '.'), sym('a/y', 'x/..'), sym('a/z', 'y/..')],
      /entry "a\/z": .*leaves the layer through other links/],
    ['a multi-hop chain followed by a write', () => [sym('a/x', '.'), sym('a/s', 'x/../..'), file('a/s/outside/evil')],
      /entry "a\/s\/outside\/evil": path passes through symlink "a\/s"/],
    ['a symlink replaced by a file', () => [sym('l', 'f'), file('l')], /entry "l": writes through a symlink/],
    ['a hardlink with ..', () => [hard('h', '../outside/sentinel')], /entry "h": "\.\." in path "\.\.\/outside\/sentinel"/],
    ['an absolute hardlink', () => [hard('h', join(root, 'outside', 'sentinel'))], /entry "h": absolute path/],
    ['a hardlink through a symlink', () => [file('sub/f'), sym('l', 'sub'), hard('h', 'l/f')],
      /entry "h": hardlink target passes through symlink "l"/],
    ['a hardlink through a symlink out', () => [sym('l', '../../outside'), hard('h', 'l/sentinel')], /leaves the layer/],
    ['a hardlink to a symlink', () => [file('f'), sym('l', 'f'), hard('h', 'l')], /entry "h": hardlink target "l" is a symlink/],
    ['a hardlink to a directory', () => [{ path: 'd', type: 'dir' }, hard('h', 'd')], /hardlink target "d" is a directory/],
    ['a hardlink to nothing yet', () => [hard('h', 'later'), file('later')], /hardlink target "later" is not in the archive/],
    ['a file over a hardlink', () => [file('f'), hard('h', 'f'), file('h', 'overwrite')], /entry "h": duplicates a file/],
    ['a character device', () => [{ path: 'dev/mem', type: 'char' }], /entry "dev\/mem": CharacterDevice is not allowed/],
    ['a block device', () => [{ path: 'sda', type: 'block' }], /entry "sda": BlockDevice is not allowed/],
    ['a FIFO', () => [{ path: 'pipe', type: 'fifo' }], /entry "pipe": FIFO is not allowed/],
    ['a setuid file', () => [file('bin/su', 'x', 0o4755)], /entry "bin\/su": setuid, setgid or sticky bit in mode 4755/],
    ['a setgid directory', () => [{ path: 'g/', type: 'dir', mode: 0o2755 }], /entry "g\/": setuid.*2755/],
    ['a sticky directory', () => [{ path: 'tmp/', type: 'dir', mode: 0o1777 }], /entry "tmp\/": setuid.*1777/],
    ['an unsupported entry type', () => [{ path: 'sparse', type: { flag: 'S' } }], /entry "sparse": unsupported entry type/],
    ['a name longer than NAME_MAX', () => [file(`d/${'n'.repeat(256)}`)], /name too long/],
    ['a symlink target longer than PATH_MAX', () => [sym('l', 'a/'.repeat(2100))], /entry "l": name too long/],
    ['a file replacing the layer root', () => [file('.')], /entry "\.": replaces the layer root/],
  ];

  for (const [name, entries, message] of corpus) {
    it(`refuses ${name}`, async () => {
      await expectRefused(tarball(entries()), message);
    });
  }

  it('refuses a breakout late in an otherwise valid archive, removing what it had written', async () => {
    const entries = [...Array.from({ length: 20 }, (_, i) => file(`ok/${i}`, 'fine')), sym('l', '..'), file('l/evil')];
    await expectRefused(tarball(entries), /entry "l"/);
  });
});

describe('extractArtifact limits', () => {
  it('refuses more files than maxFiles', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => file(`f${i}`));
    await expectRefused(tarball(entries), /entry "f4": archive passes the limit of 4 files/, { maxBytes: 1000, maxFiles: 4 });
  });

  it('counts the directories a deep path implies', async () => {
    await expectRefused(tarball([file('a/b/c/d/e')]), /limit of 3 files/, { maxBytes: 1000, maxFiles: 3 });
  });

  it('refuses more bytes than maxBytes', async () => {
    const entries = [file('a', 'x'.repeat(600)), file('b', 'y'.repeat(600))];
    await expectRefused(tarball(entries), /entry "b": content passes the limit of 1000 bytes/, { maxBytes: 1000, maxFiles: 10 });
  });

  it('stops a gzip bomb early, reading only a little of it', async () => {
    // 1 GiB of zeros as 64 concatenated gzip members (gunzip reads them as one stream), ~1 MB compressed.
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    const bomb = Buffer.concat([gzipSync(header({ path: 'zeros' }, 64 * 16 * 1024 * 1024)), ...Array(64).fill(member)]);
    const counted = countingSlices(bomb);
    await expectRefused(counted.stream, /entry "zeros": content passes the limit/, { maxBytes: 1024 * 1024, maxFiles: 10 });
    expect(counted.read()).toBeLessThan(bomb.length / 4);
  });

  it('stops inflating junk after the end of the archive', async () => {
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    const junk = Buffer.concat([gzipSync(rawTar([file('a')])), ...Array(64).fill(member)]);
    const counted = countingSlices(junk);
    await expectRefused(counted.stream, /archive inflates past \d+ bytes/, { maxBytes: 1024, maxFiles: 4 });
    expect(counted.read()).toBeLessThan(junk.length / 4);
  });
});

/** The buffer as a stream of 16 KiB chunks, and how much of it the consumer pulled. */
function countingSlices(buf: Buffer): { stream: Readable; read: () => number } {
  let offset = 0;
  const stream = new Readable({
    highWaterMark: 16 * 1024,
    read() {
      const chunk = buf.subarray(offset, offset + 16 * 1024);
      offset += chunk.length;
      this.push(chunk.length ? chunk : null);
    },
  });
  return { stream, read: () => offset };
}

describe('extractArtifact refuses unreadable input', () => {
  it('refuses input that is not gzip', async () => {
    await expectRefused(Buffer.from('plainly not an archive'), /not a valid gzip stream: incorrect header check/);
  });

  it('refuses an uncompressed tar', async () => {
    await expectRefused(rawTar([file('a')]), /not a valid gzip stream/);
  });

  it('refuses empty input', async () => {
    await expectRefused(Buffer.alloc(0), /not a valid gzip stream: unexpected end of file/);
  });

  it('refuses a truncated gzip stream', async () => {
    const whole = tarball([file('a', randomBytes(20_000))]);
    await expectRefused(whole.subarray(0, whole.length - 100), /not a valid gzip stream/);
  });

  it('refuses a gzip stream with a corrupted byte', async () => {
    const whole = tarball([file('a', 'some content worth checking')]);
    whole[whole.length - 6]! ^= 0xff;
    await expectRefused(whole, /not a valid gzip stream/);
  });

  it('refuses gzip of something that is not tar', async () => {
    await expectRefused(gzipSync(randomBytes(4096)), /not a valid tar archive/);
  });

  it('refuses an archive with no entries (tar cannot tell it from something else)', async () => {
    await expectRefused(gzipSync(Buffer.alloc(1024)), /not a valid tar archive: .*Unrecognized archive format/);
  });

  it('refuses a tar cut short inside its gzip', async () => {
    const cut = rawTar([file('a', randomBytes(10_000))]).subarray(0, 4096);
    await expectRefused(gzipSync(cut), /not a valid tar archive: .*Truncated/);
  });
});

describe('extractArtifact extracts valid archives', () => {
  it('extracts nested dirs, links, modes, empty files and long names, as the user running it', async () => {
    const big = randomBytes(1024 * 1024 + 123);
    const long = `${'long-directory-name/'.repeat(8)}${'f'.repeat(120)}.js`;
    const entries: FixtureEntry[] = [
      { path: './', type: 'dir' },
      file('./a/b/c/deep.txt', 'deep'),
      { path: 'private/', type: 'dir', mode: 0o700 },
      file('private/secret', 'owner only', 0o600),
      file('bin/run', '#!/bin/sh\n', 0o700),
      file('bin/all', 'exec for all', 0o777),
      file('data/empty', ''),
      file('data/big.bin', big),
      sym('link-to-deep', 'a/b/c/deep.txt'),
      sym('a/b/top', '../..'),
      sym('dangling', 'not/there'),
      hard('hard', 'a/b/c/deep.txt'),
      file(long, 'long'),
      { path: 'pax-short', body: 'pax', pax: true },
    ];
    const result = await extractArtifact(tarball(entries), dest, LIMITS);

    expect(await readFile(join(dest, 'a/b/c/deep.txt'), 'utf8')).toBe('deep');
    expect((await readFile(join(dest, 'data/big.bin'))).equals(big)).toBe(true);
    expect(await readFile(join(dest, 'data/empty'), 'utf8')).toBe('');
    expect(await readFile(join(dest, long), 'utf8')).toBe('long');
    expect(await readFile(join(dest, 'pax-short'), 'utf8')).toBe('pax');
    expect(await readlink(join(dest, 'link-to-deep'))).toBe('a/b/c/deep.txt');
    expect(await readlink(join(dest, 'a/b/top'))).toBe('../..');
    expect(await readlink(join(dest, 'dangling'))).toBe('not/there');
    const [hardSt, deepSt] = await Promise.all([lstat(join(dest, 'hard')), lstat(join(dest, 'a/b/c/deep.txt'))]);
    expect(hardSt.ino).toBe(deepSt.ino);

    const mode = async (p: string) => ((await lstat(join(dest, p))).mode & 0o7777).toString(8);
    expect(await mode('.')).toBe('755');
    expect(await mode('a/b')).toBe('755');
    expect(await mode('private')).toBe('755');
    expect(await mode('private/secret')).toBe('644');
    expect(await mode('bin/run')).toBe('755');
    expect(await mode('bin/all')).toBe('755');
    expect(await mode('data/empty')).toBe('644');
    expect((await lstat(join(dest, 'bin/run'))).uid).toBe(process.getuid!());

    // 8 files, 3 symlinks, 1 hardlink; 14 directories: a, a/b, a/b/c, private, bin, data and the 8 levels of the long path.
    expect(result).toEqual({ files: 26, bytes: 4 + 10 + 10 + 12 + big.length + 4 + 3 });
    expect(await readdir(join(root, 'work'))).toEqual(['layer']);
  });

  it('extracts what tar.c packs from a real directory', async () => {
    const src = join(root, 'src');
    await mkdir(join(src, 'lib', 'deep', 'er'), { recursive: true });
    await writeFile(join(src, 'index.js'), 'export default {}');
    await writeFile(join(src, 'lib', 'deep', 'er', 'x.js'), 'x');
    await writeFile(join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(join(src, 'empty'), '');
    await writeFile(join(src, `${'n'.repeat(150)}.js`), 'long name');
    await symlink('lib/deep/er/x.js', join(src, 'x-link'));
    await link(join(src, 'index.js'), join(src, 'index-hard.js'));
    const packed = await streamToBuffer(tar.c({ gzip: true, cwd: src, portable: true }, ['.']));

    await extractArtifact(packed, dest, LIMITS);
    expect(await snapshot(dest)).toEqual(await snapshot(src));
  });

  it('reads a stream as well as a buffer, and fills an existing empty directory', async () => {
    await mkdir(dest);
    const archive = tarball([file('a/b', 'streamed')]);
    const chunks = Array.from({ length: Math.ceil(archive.length / 7) }, (_, i) => archive.subarray(i * 7, i * 7 + 7));
    expect(await extractArtifact(Readable.from(chunks), dest, LIMITS)).toEqual({ files: 2, bytes: 8 });
    expect(await readFile(join(dest, 'a/b'), 'utf8')).toBe('streamed');
  });

  it('cuts a pax path at a NUL byte, as tar does, so what follows never reaches the filesystem', async () => {
    const before = await snapshot(join(root, 'outside'));
    await extractArtifact(tarball([{ path: 'ok\u0000/../../evil', pax: true, body: 'x' }]), dest, LIMITS);
    expect(await readdir(dest)).toEqual(['ok']);
    expect(await snapshot(join(root, 'outside'))).toEqual(before);
  });

  it('refuses a destination that is not empty and leaves it as it was', async () => {
    await mkdir(dest);
    await writeFile(join(dest, 'mine'), 'keep');
    await expect(extractArtifact(tarball([file('a')]), dest, LIMITS)).rejects.toThrow(/not empty/);
    expect(await readdir(dest)).toEqual(['mine']);
    expect(await readdir(join(root, 'work'))).toEqual(['layer']);
  });

});

async function streamToBuffer(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c);
  return Buffer.concat(chunks);
}
