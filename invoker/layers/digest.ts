import { createHash } from 'node:crypto';
import { BadRequest } from '../../core/errors.js';

/** `sha256:<64 lowercase hex>`, the one digest form layers are named by. */
export type Digest = `sha256:${string}`;

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** The hex part of a digest, refusing anything that is not `sha256:<64 hex>`. */
export function digestHex(digest: string): string {
  const hex = DIGEST.exec(digest)?.[1];
  if (!hex) throw new BadRequest(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return hex;
}

export function sha256Digest(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
