import { randomBytes, randomUUID } from 'node:crypto';

/** Invocation ids are UUIDs, as Lambda's request ids are. */
export const newInvocationId = (): string => randomUUID();

/** A short random token for instance names (gateway, invoker, container). */
export const shortId = (bytes = 6): string => randomBytes(bytes).toString('hex');
