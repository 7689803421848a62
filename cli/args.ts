import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

/** Options every command accepts (SPEC §2); `--help` never reaches a command (main.ts). */
export const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with the global options added and usage errors turned into UsageError. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
}

/** `--env K=V` style pairs into a record. */
export function pairs(values: string[] | undefined, sep: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf(sep);
    if (i <= 0) throw new UsageError(`${what} must look like KEY${sep}VALUE, got "${v}"`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export function number(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  // Number('') and Number(' ') are 0: an empty value is no number either.
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${what} must be a number, got "${value}"`);
  return n;
}
