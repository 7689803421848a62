import { gzipSync } from 'node:zlib';

/**
 * Test support: writes ustar archives byte by byte, so tests can build the
 * hostile entries that tar.c refuses to create (absolute paths, `..`, device
 * nodes, links out of the tree). Not used by the product.
 */
export interface FixtureEntry {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | { flag: string };
  body?: string | Buffer;
  /** Declared size when it differs from the body's (truncated or bomb archives). */
  size?: number;
  mode?: number;
  linkpath?: string;
  /** Put the path in a pax header even when it would fit the ustar name field. */
  pax?: boolean;
}

const FLAGS = { file: '0', dir: '5', symlink: '2', hardlink: '1', char: '3', block: '4', fifo: '6' } as const;

export function tarball(entries: FixtureEntry[]): Buffer {
  return gzipSync(rawTar(entries));
}

export function rawTar(entries: FixtureEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
    if (e.pax || Buffer.byteLength(e.path) > 100 || Buffer.byteLength(e.linkpath ?? '') > 100) {
      const records = paxRecord('path', e.path) + (e.linkpath ? paxRecord('linkpath', e.linkpath) : '');
      blocks.push(...withBody(header({ path: 'PaxHeader', type: { flag: 'x' } }, Buffer.byteLength(records)), Buffer.from(records)));
    }
    blocks.push(...withBody(header(e, e.size ?? body.length), body));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** One 512-byte ustar header. */
export function header(e: FixtureEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const type = e.type ?? 'file';
  const flag = typeof type === 'string' ? FLAGS[type] : type.flag;
  const mode = e.mode ?? (type === 'dir' ? 0o755 : 0o644);
  h.write(e.path.slice(0, 100), 0, 'utf8');
  h.write(octal(mode, 7), 100);
  h.write(octal(0, 7), 108);
  h.write(octal(0, 7), 116);
  h.write(octal(size, 11), 124);
  h.write(octal(0, 11), 136);
  h.write(flag, 156);
  h.write((e.linkpath ?? '').slice(0, 100), 157, 'utf8');
  h.write('ustar\u000000', 257, 'binary');
  h.write('root', 265);
  h.write('root', 297);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'binary');
  return h;
}

function withBody(head: Buffer, body: Buffer): Buffer[] {
  const pad = (512 - (body.length % 512)) % 512;
  return [head, body, Buffer.alloc(pad)];
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width, '0')}\u0000`;
}

function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(rest) + 1;
  while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
  return `${len}${rest}`;
}
