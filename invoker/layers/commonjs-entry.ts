import { lstat, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { COMMONJS_PREFIX, commonJsRendering } from '../runtime/function-loader.js';

const BUILTINS = new Set(builtinModules);
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || BUILTINS.has(specifier);

export type Rendering = { rendered: true } | { rendered: false; reason: string };

/**
 * Writes a CommonJS rendering of a function's ESM entry beside it
 * (`.tsfn.<entry>.cjs` and its source map), which the shim then `require`s
 * instead of importing the entry (function-loader.ts): a cold start skips
 * Node 20's ESM loader, about 5 ms here. The rendering means what the module
 * means: strict mode, `import.meta.url`, `dirname` and `filename` of the
 * entry itself, `this` undefined at the top, `import()` kept, and a source
 * map that leads back through the entry's own to the user's TypeScript.
 *
 * Nothing is rendered, and the entry is imported as before, when the module
 * is not a `.mjs` file or cannot mean the same as CommonJS: top-level await,
 * `import.meta` used otherwise, CommonJS's `module`, `exports`, `require`,
 * `__filename`, `__dirname` or `arguments` used unbound (a module sees none of
 * them; CommonJS would define them), a static import of anything but Node's
 * built-in modules (a package might be ESM only), or any warning from esbuild;
 * nor when the entry is over 16 MiB or names a source map other than a
 * regular file beside it (esbuild reads the entry from memory and the map
 * inlined, never a path the tenant's code chose).
 * Files of the artifact under the reserved prefix are removed first, so the
 * shim never mistakes one for a rendering.
 */
export async function renderCommonJs(dir: string, entry: string): Promise<Rendering> {
  await removeReserved(dir);
  if (!entry.endsWith('.mjs') || entry.includes('/')) return { rendered: false, reason: 'the entry is not a top-level .mjs file' };
  const source = await sourceWithInlineMap(dir, entry);
  if (typeof source !== 'string') return source;
  const outfile = join(dir, commonJsRendering(entry));
  const result = await build({
    // From memory, not from the file: esbuild would follow the entry's
    // sourceMappingURL wherever it points (a host file, /dev/zero).
    stdin: { contents: source, sourcefile: entry, resolveDir: dir, loader: 'js' },
    outfile,
    bundle: false,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
    define: {
      'import.meta.url': '__tsfn_import_meta_url',
      'import.meta.filename': '__tsfn_import_meta_filename',
      'import.meta.dirname': '__tsfn_import_meta_dirname',
      // CommonJS's own names mean nothing in a module: one used unbound is spotted below.
      ...Object.fromEntries(COMMONJS_NAMES.map((name) => [name, `${FREE}${name}`])),
    },
    banner: {
      js: '"use strict";var __tsfn_import_meta_dirname=__dirname,__tsfn_import_meta_filename=require("node:path").join(__dirname,' +
        `${JSON.stringify(entry)}),__tsfn_import_meta_url=require("node:url").pathToFileURL(__tsfn_import_meta_filename).href;`,
    },
  }).catch((err: { errors?: { text: string }[] }) => ({ failed: err.errors?.[0]?.text ?? String(err) }));
  if ('failed' in result) return { rendered: false, reason: result.failed };
  if (result.warnings.length) return { rendered: false, reason: result.warnings[0]!.text };
  const code = result.outputFiles.find((f) => f.path === outfile)?.text ?? '';
  const free = COMMONJS_NAMES.find((name) => code.includes(`${FREE}${name}`));
  if (free) return { rendered: false, reason: `it uses \`${free}\`, which CommonJS would define` };
  for (const output of Object.values(result.metafile.outputs)) {
    const foreign = output.imports.find((i) => i.kind === 'require-call' && !isBuiltin(i.path));
    if (foreign) return { rendered: false, reason: `it imports ${foreign.path}, which may be an ES module` };
  }
  for (const file of result.outputFiles) await writeFile(file.path, file.contents, { mode: 0o644 });
  return { rendered: true };
}

/** What CommonJS defines and a module does not. */
const COMMONJS_NAMES = ['module', 'exports', 'require', '__filename', '__dirname', 'arguments'];
const FREE = '__tsfn_free_';
const MAX_ENTRY_BYTES = 16 * 1048576;
const MAX_MAP_BYTES = 64 * 1048576;
const MAP_COMMENT = /^[ \t]*\/\/[#@][ \t]*sourceMappingURL=(\S*)[ \t]*$/gm;

/**
 * The entry's source, with its source map (the last sourceMappingURL comment)
 * inlined when it is a regular file of the code's own directory, and every
 * other mention of one removed. The code is a tenant's: its comments must not
 * make the invoker read anything else.
 */
async function sourceWithInlineMap(dir: string, entry: string): Promise<string | Rendering> {
  const entryStat = await lstat(join(dir, entry)).catch(() => undefined);
  if (!entryStat?.isFile() || entryStat.size > MAX_ENTRY_BYTES) {
    return { rendered: false, reason: `the entry is not a regular file of at most ${MAX_ENTRY_BYTES} bytes` };
  }
  const original = await readFile(join(dir, entry), 'utf8');
  const url = [...original.matchAll(MAP_COMMENT)].at(-1)?.[1];
  const source = original.replace(MAP_COMMENT, '');
  if (source.includes('sourceMappingURL')) return { rendered: false, reason: 'it mentions a sourceMappingURL elsewhere than in a final comment' };
  if (!url) return source;
  if (url.startsWith('data:')) return `${source}\n//# sourceMappingURL=${url}\n`;
  if (!/^[A-Za-z0-9_.-]+$/.test(url) || url.startsWith('.')) return { rendered: false, reason: `its source map ${url} is not a file beside it` };
  const mapStat = await lstat(join(dir, url)).catch(() => undefined);
  if (!mapStat?.isFile() || mapStat.size > MAX_MAP_BYTES) return { rendered: false, reason: `its source map ${url} is not a regular file` };
  const map = await readFile(join(dir, url));
  return `${source}\n//# sourceMappingURL=data:application/json;base64,${map.toString('base64')}\n`;
}

async function removeReserved(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(COMMONJS_PREFIX)) await rm(join(dir, name), { recursive: true, force: true });
  }
}
