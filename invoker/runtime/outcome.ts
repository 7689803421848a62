import { inspect, types } from 'node:util';
import type { ErrorFrame, ErrorInfo } from '../../core/schemas/control.js';

/** How one invocation ended, before it becomes a `result` or `error` frame. */
export type Outcome =
  | { t: 'result'; status: number; headers: Array<[string, string]>; body: Uint8Array }
  | { t: 'error'; kind: ErrorFrame['kind']; error: ErrorInfo };

/** Thrown (and turned into an `invalid` outcome) when a handler returns something unusable. */
export class InvalidResult extends Error {
  override name = 'InvalidResult';
}

/** Thrown (and turned into a `too-large` outcome) when a response body passes the limit. */
export class ResponseTooLarge extends Error {
  override name = 'ResponseTooLarge';
  constructor(limit: number) {
    super(`response body exceeds the limit of ${limit} bytes`);
  }
}

/**
 * Describes anything a function threw. Reads defensively: a thrown value is
 * user data and its getters may themselves throw.
 */
export function errorInfo(thrown: unknown): ErrorInfo {
  try {
    if (types.isNativeError(thrown) || thrown instanceof Error) {
      const info: ErrorInfo = { name: String(thrown.name), message: String(thrown.message) };
      if (typeof thrown.stack === 'string') info.stack = thrown.stack;
      return info;
    }
    return { name: 'Error', message: typeof thrown === 'string' ? thrown : inspect(thrown) };
  } catch {
    return { name: 'Error', message: 'a value that cannot be described was thrown' };
  }
}

export function failed(thrown: unknown): Outcome {
  const kind = thrown instanceof InvalidResult ? 'invalid' : thrown instanceof ResponseTooLarge ? 'too-large' : 'error';
  return { t: 'error', kind, error: errorInfo(thrown) };
}

/** A short description of a value for error messages ("a string", "an object with keys a, b"). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    const name = value.constructor?.name;
    const what = name && name !== 'Object' ? `a ${name}` : 'an object';
    return keys.length ? `${what} with keys ${keys.slice(0, 8).join(', ')}` : what;
  }
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}
