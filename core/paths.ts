import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found by walking up from this module: the same answer
 * whether the code runs from its TypeScript source or from the bundle in dist/.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('tsfn: cannot find the package root');
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();
export const paths = {
  root: PACKAGE_ROOT,
  sql: join(PACKAGE_ROOT, 'infra', 'sql'),
  launcher: join(PACKAGE_ROOT, 'native', 'build', 'tsfn-launcher'),
  shim: join(PACKAGE_ROOT, 'dist', 'shim.cjs'),
  /** The shim's entry, which runs it from a V8 code cache (invoker/runtime/shim-boot.ts). */
  shimBoot: join(PACKAGE_ROOT, 'dist', 'shim-boot.cjs'),
  functions: join(PACKAGE_ROOT, 'functions'),
};
