import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commonJsRendering } from '../runtime/function-loader.js';
import { renderCommonJs } from './commonjs-entry.js';

let dir: string;
const RENDERED = commonJsRendering('index.mjs');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsfn-cjs-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads the rendering in a fresh node (source maps on) and prints what `probe` returns, as JSON. */
function loadRendered(probe: string): unknown {
  const script = `process.setSourceMapsEnabled(true); const m = require(${JSON.stringify(join(dir, RENDERED))});
    Promise.resolve((${probe})(m)).then((v) => process.stdout.write(JSON.stringify(v)));`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('renderCommonJs', () => {
  it('renders an ESM entry that means the same as CommonJS: exports, strict mode, import.meta, this, import()', async () => {
    await writeFile(join(dir, 'lazy.mjs'), 'export const lazy = "lazy";\n');
    await writeFile(join(dir, 'index.mjs'), [
      "import { createRequire as __tsfnCreateRequire } from 'node:module'; const require = __tsfnCreateRequire(import.meta.url);",
      "import os from 'node:os';",
      'const topThis = this;',
      'let strict; try { undeclared = 1; strict = false; } catch { strict = true; }',
      'export default { fetch() {} };',
      'export async function handler() {',
      "  const { lazy } = await import('./lazy.mjs');",
      '  return { url: import.meta.url, filename: import.meta.filename, dirname: import.meta.dirname, topThis: topThis === undefined,',
      "    strict, lazy, req: typeof require('node:path').join, os: typeof os.hostname };",
      '}',
    ].join('\n'));
    expect(await renderCommonJs(dir, 'index.mjs')).toEqual({ rendered: true });
    expect(loadRendered('(m) => m.handler()')).toEqual({
      url: pathToFileURL(join(dir, 'index.mjs')).href, filename: join(dir, 'index.mjs'), dirname: dir,
      topThis: true, strict: true, lazy: 'lazy', req: 'function', os: 'function',
    });
    expect(loadRendered('(m) => [typeof m.default.fetch, Object.keys(m).sort()]')).toEqual(['function', ['default', 'handler']]);
  });

  it('keeps stack traces on the TypeScript source, through the entry\'s own source map', async () => {
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'index.ts'), 'interface Out { ok: boolean }\n\n\nexport function handler(): Out {\n  throw new Error("from line 5");\n}\n');
    await build({
      entryPoints: [join(dir, 'src', 'index.ts')], bundle: true, format: 'esm', platform: 'node', outfile: join(dir, 'index.mjs'),
      sourcemap: 'linked', sourcesContent: false, logLevel: 'silent',
    });
    expect(await renderCommonJs(dir, 'index.mjs')).toEqual({ rendered: true });
    const stack = loadRendered('(m) => { try { m.handler(); } catch (e) { return e.stack.split("\\n")[1]; } }') as string;
    expect(stack).toContain(`${join(dir, 'src', 'index.ts')}:5:`);
  });

  it.each([
    ['top-level await', 'await Promise.resolve();\nexport const handler = () => 1;\n', /await/i],
    ['import.meta beyond url, dirname and filename', 'export const handler = () => import.meta.resolve("x");\n', /import\.meta/],
    ['a static import of a package, which may be ESM only', 'import x from "some-package";\nexport const handler = () => x;\n', /some-package/],
    ['a relative static import, which may be ESM', 'import x from "./other.mjs";\nexport const handler = () => x;\n', /other\.mjs/],
    ['CommonJS\'s module unbound', 'export const handler = () => typeof module;\n', /`module`/],
    ['CommonJS\'s require unbound', 'export const handler = () => typeof require;\n', /`require`/],
    ['CommonJS\'s __dirname unbound', 'export const handler = () => typeof __dirname;\n', /`__dirname`/],
    ['arguments at the top', 'export const handler = () => arguments;\n', /`arguments`/],
  ])('leaves the entry to the ESM loader with %s', async (_what, source, reason) => {
    await writeFile(join(dir, 'index.mjs'), source);
    const r = await renderCommonJs(dir, 'index.mjs');
    expect(r.rendered).toBe(false);
    expect(r.rendered === false && r.reason).toMatch(reason);
    expect(existsSync(join(dir, RENDERED))).toBe(false);
  });

  it.each([
    ['a device', '/dev/zero'],
    ['a host file', '../../../../etc/passwd'],
    ['an absolute path', '/etc/passwd'],
    ['a symlink beside it', 'link.map'],
    ['a URL', 'file:///etc/passwd'],
  ])('reads no source map the tenant points elsewhere: %s', async (_what, url) => {
    await symlink('/etc/passwd', join(dir, 'link.map'));
    await writeFile(join(dir, 'index.mjs'), `export const handler = () => 1;\n//# sourceMappingURL=${url}\n`);
    const r = await renderCommonJs(dir, 'index.mjs');
    expect(r.rendered).toBe(false);
    expect(r.rendered === false && r.reason).toMatch(/source map/);
    expect(existsSync(join(dir, RENDERED))).toBe(false);
  });

  it('refuses an entry that is not a regular file, and one that mentions a source map elsewhere', async () => {
    await writeFile(join(dir, 'real.mjs'), 'export const handler = () => 1;\n');
    await symlink(join(dir, 'real.mjs'), join(dir, 'index.mjs'));
    expect((await renderCommonJs(dir, 'index.mjs')).rendered).toBe(false);
    await writeFile(join(dir, 'other.mjs'), 'export const handler = () => 1;\n/*# sourceMappingURL=/dev/zero */\n');
    expect((await renderCommonJs(dir, 'other.mjs')).rendered).toBe(false);
  });

  it('renders only a top-level .mjs entry', async () => {
    await writeFile(join(dir, 'index.js'), 'export const handler = () => 1;\n');
    expect((await renderCommonJs(dir, 'index.js')).rendered).toBe(false);
    expect(await readdir(dir)).toEqual(['index.js']);
  });

  it('removes files of the artifact under the reserved prefix, so the shim never loads one as the rendering', async () => {
    await writeFile(join(dir, 'index.mjs'), 'await 0;\nexport const handler = () => "real";\n');
    await writeFile(join(dir, RENDERED), 'exports.handler = () => "forged";\n');
    await mkdir(join(dir, '.tsfn.dir'));
    expect((await renderCommonJs(dir, 'index.mjs')).rendered).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(['index.mjs']);
  });
});
