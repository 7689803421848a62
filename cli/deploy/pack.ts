import { createHash } from 'node:crypto';
import { create } from 'tar';

export interface Packed {
  data: Buffer;
  digest: string;
}

/**
 * A deterministic tar.gz of a bundle directory (sorted names, fixed times and
 * owners), so that deploying the same code twice gives the same digest.
 */
export async function packDirectory(dir: string, files: string[]): Promise<Packed> {
  const chunks: Buffer[] = [];
  const stream = create({ gzip: { level: 9 }, cwd: dir, portable: true, mtime: new Date(0), noDirRecurse: true }, files);
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  const data = Buffer.concat(chunks);
  return { data, digest: `sha256:${createHash('sha256').update(data).digest('hex')}` };
}
