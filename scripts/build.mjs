// Bundles what runs outside vitest: the CLI (dist/tsfn.js, dependencies left
// in node_modules) and the runtime shim (dist/shim.cjs, self-contained: it runs
// inside containers, where there is no node_modules) with its entry
// (dist/shim-boot.cjs, which runs it from a V8 code cache).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await Promise.all([
  build({
    entryPoints: [join(root, 'cli/main.ts')],
    outfile: join(root, 'dist/tsfn.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  }),
  build({
    entryPoints: [join(root, 'invoker/runtime/shim-boot.ts')],
    outfile: join(root, 'dist/shim-boot.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'warning',
  }),
  build({
    entryPoints: [join(root, 'invoker/runtime/shim.ts')],
    outfile: join(root, 'dist/shim.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
  }),
]);
