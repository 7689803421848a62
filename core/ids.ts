import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Invocation ids are UUIDs, as Lambda's request ids are. */
export const newInvocationId = (): string => randomUUID();

/** A short random token for instance names (gateway, invoker, container). */
export const shortId = (bytes = 6): string => randomBytes(bytes).toString('hex');

/** A UUID derived from a string (name-based, like a v5 UUID with sha256): scheduled jobs get stable invocation ids. */
export function uuidFrom(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
