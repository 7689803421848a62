/**
 * The shim's entry in a container: `/usr/bin/node /opt/tsfn/boot.cjs`. It
 * compiles shim.cjs beside it with the V8 code cache the invoker made for this
 * host (shim.cjs.cache, in the code-cache layer over the base layer:
 * invoker/layers/code-cache-layer.ts), so a cold start neither parses the shim
 * nor compiles the functions its first init and invocation run (zod's
 * schemas among them): about 7 ms of a cold start here. Without a cache, or
 * with one V8 rejects (another node, other flags), it compiles from source.
 *
 * `--make-code-cache=PATH`: compile from source and write the cache to PATH
 * when the process exits, so that it holds every function run until then.
 */
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';

const MAKE_FLAG = '--make-code-cache=';
const shimPath = join(__dirname, 'shim.cjs');
const makeTo = process.argv.find((a) => a.startsWith(MAKE_FLAG))?.slice(MAKE_FLAG.length);
const cachedData = makeTo ? undefined : readIfPresent(`${shimPath}.cache`);

// The CommonJS wrapper, plus the importer the shim needs (dynamic-import.ts).
// On a line of its own, so that the shim's line numbers stay its own.
const script = new Script(
  `(function (exports, require, module, __filename, __dirname, __tsfn_import) {\n${readFileSync(shimPath, 'utf8')}\n})`,
  { filename: shimPath, lineOffset: -1, cachedData },
);
if (cachedData && script.cachedDataRejected) writeSync(2, 'tsfn-shim: V8 rejected the code cache; compiling from source\n');
if (process.env.TSFN_SHIM_BOOT_REPORT === '1') {
  writeSync(2, `tsfn-shim: code cache ${!cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted'}\n`);
}
if (makeTo) process.once('exit', () => writeFileSync(makeTo, script.createCachedData()));

const shimModule = { exports: {} };
script.runInThisContext()(shimModule.exports, require, shimModule, shimPath, __dirname, (specifier: string) => import(specifier));

function readIfPresent(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
