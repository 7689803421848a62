import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { CliError } from '../errors.js';

export const ENTRY_CANDIDATES = ['index.ts', 'index.mts', 'index.js', 'index.mjs'];
/** The entry file inside every bundle. */
export const BUNDLE_ENTRY = 'index.mjs';

export interface Bundle {
  /** Files written to outDir, relative to it. */
  files: string[];
  /** Packages with native addons, left external and copied beside the bundle. */
  natives: string[];
}

/**
 * Bundles a function directory with esbuild into `outDir`: one ESM file for
 * Node 20 with a linked source map (stack traces in logs point at the user's
 * TypeScript), CommonJS dependencies able to `require` builtins, and packages
 * holding native addons left external and copied into outDir/node_modules.
 */
export async function bundleFunction(dir: string, outDir: string): Promise<Bundle> {
  const entry = ENTRY_CANDIDATES.map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!entry) throw new CliError('No entry file', `${dir} has none of ${ENTRY_CANDIDATES.join(', ')}`);
  const natives = nativePackages(join(dir, 'node_modules'));
  await build({
    entryPoints: [entry],
    outfile: join(outDir, BUNDLE_ENTRY),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    external: natives,
    absWorkingDir: dir,
    logLevel: 'silent',
    banner: { js: "import { createRequire as __tsfnCreateRequire } from 'node:module'; const require = __tsfnCreateRequire(import.meta.url);" },
  }).catch((err: { errors?: { text: string; location?: { file: string; line: number } }[] }) => {
    const first = err.errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new CliError('Bundling failed', `${first?.text ?? String(err)}${where}`);
  });
  for (const pkg of natives) await copyWithDeps(join(dir, 'node_modules'), pkg, join(outDir, 'node_modules'), new Set());
  return { files: listFiles(outDir), natives };
}

/** Top-level packages under node_modules that hold a compiled addon (*.node) or a binding.gyp. */
function nativePackages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const scoped = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((s) => `${entry}/${s}`) : [entry];
    for (const name of scoped) if (hasAddon(join(nodeModules, name), 0)) names.push(name);
  }
  return names;
}

function hasAddon(dir: string, depth: number): boolean {
  if (depth > 4 || !existsSync(dir)) return false;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && (e.name.endsWith('.node') || e.name === 'binding.gyp')) return true;
    if (e.isDirectory() && e.name !== 'node_modules' && hasAddon(join(dir, e.name), depth + 1)) return true;
  }
  return false;
}

async function copyWithDeps(from: string, name: string, to: string, seen: Set<string>): Promise<void> {
  if (seen.has(name) || !existsSync(join(from, name))) return;
  seen.add(name);
  await mkdir(dirname(join(to, name)), { recursive: true });
  await cp(join(from, name), join(to, name), { recursive: true, dereference: true });
  const pkg = JSON.parse(readFileSync(join(from, name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies ?? {})) await copyWithDeps(from, dep, to, seen);
}

function listFiles(root: string, rel = ''): string[] {
  return readdirSync(join(root, rel)).sort().flatMap((name) => {
    const p = rel ? `${rel}/${name}` : name;
    return statSync(join(root, p)).isDirectory() ? listFiles(root, p) : [p];
  });
}
