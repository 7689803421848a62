import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dynamicImport } from './dynamic-import.js';
import { describe } from './outcome.js';

/** Names of the code layer's top level that are the invoker's, not the artifact's. */
export const COMMONJS_PREFIX = '.tsfn.';
/** The file the invoker renders an ESM entry to when CommonJS means the same (invoker/layers/commonjs-entry.ts). */
export const commonJsRendering = (entry: string): string => `${COMMONJS_PREFIX}${entry}.cjs`;

/** Called with the shim's Request (web/request.ts), the global `Request` inside a container. */
export type FetchHandler = (request: object, ctx: object) => unknown;
export type LambdaHandler = (event: unknown, context: object, callback: (err?: unknown, value?: unknown) => void) => unknown;

/** A function's entry module, reduced to the one handler SPEC §1 lets it export. */
export type LoadedFunction =
  | { style: 'fetch'; fetch: FetchHandler }
  | { style: 'lambda'; handler: LambdaHandler };

export class HandlerNotFound extends Error {
  override name = 'HandlerNotFound';
}

/**
 * Loads the entry and finds its handler: the invoker's CommonJS rendering of
 * it when there is one (`require` skips Node 20's ESM loader, several ms of a
 * cold start), else the entry itself, imported by file URL so that Node caches
 * it and source maps resolve. Module-scope errors propagate as thrown.
 */
export async function loadFunction(codeDir: string, entryName: string): Promise<LoadedFunction> {
  const rendering = join(codeDir, commonJsRendering(entryName));
  const mod = existsSync(rendering)
    ? (createRequire(rendering)(rendering) as Record<string, unknown>)
    : await dynamicImport(pathToFileURL(join(codeDir, entryName)).href);
  return findHandler(mod, entryName);
}

/**
 * SPEC §1 calls `fetch(request, ctx)`; Workers-style code, Hono included,
 * takes `fetch(request, env, ctx)` and reads `c.executionCtx` from the third
 * argument, so the context goes in both places.
 * `export default { fetch }` wins over `export function handler`. A CommonJS
 * entry's `module.exports` arrives as `default`, so `module.exports.handler`
 * is accepted too.
 */
export function findHandler(mod: Record<string, unknown>, entryName: string): LoadedFunction {
  const def = mod.default as Record<string, unknown> | null | undefined;
  if ((typeof def === 'object' || typeof def === 'function') && def !== null && typeof def.fetch === 'function') {
    const target = def as { fetch: (request: object, env: object, ctx: object) => unknown };
    return { style: 'fetch', fetch: (request, ctx) => target.fetch(request, ctx, ctx) };
  }
  const handler = typeof mod.handler === 'function' ? mod.handler
    : typeof def === 'object' && def !== null && typeof def.handler === 'function' ? def.handler
    : undefined;
  if (handler) return { style: 'lambda', handler: handler as LambdaHandler };
  throw new HandlerNotFound(
    `${entryName} exports neither \`export default { fetch(request, ctx) }\` nor ` +
    `\`export async function handler(event, context)\`; it exports ${listExports(mod)}`,
  );
}

function listExports(mod: Record<string, unknown>): string {
  const names = Object.keys(mod);
  if (!names.length) return 'nothing';
  return names.map((name) => `${name} (${describe(mod[name])})`).join(', ');
}
