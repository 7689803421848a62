import { pathToFileURL } from 'node:url';
import type { InitFrame, InvokeFrame } from '../../core/schemas/control.js';
import { dynamicImport } from './dynamic-import.js';
import { warmFetchPath } from './fetch-style.js';
import { frameSchemas } from './frame-schemas.js';

const SAMPLE_INIT: InitFrame = {
  t: 'init', name: 'warm-up', version: 1, memoryMiB: 128, codeDir: '/var/task', entry: 'index.mjs', env: { A: 'a' }, maxResponseBytes: 1,
};
const SAMPLE_INVOKE: InvokeFrame = {
  t: 'invoke', id: 'warm-up', kind: 'http', start: 'prewarm', trigger: 'http', deadline: 0, account: 'warm-up',
  http: { method: 'POST', path: '/', query: 'a=1', headers: [['host', 'localhost'], ['content-type', 'text/plain']] },
};
const EMPTY_MODULE = 'data:text/javascript,';

/**
 * What a stem cell does before it says `ready`, so that specialising it costs
 * little more than the function's own import: the frame schemas and their first
 * parses, the ESM loader and the fs/promises it reads modules with, the std
 * streams, and fetch's classes (Node loads undici, tens of ms, on their first
 * use). All of it is work a first init and invocation would otherwise pay.
 */
export async function warmUp(): Promise<void> {
  const { ToShim } = await frameSchemas();
  ToShim.safeParse(SAMPLE_INIT);
  ToShim.safeParse(SAMPLE_INVOKE);
  pathToFileURL(`${SAMPLE_INIT.codeDir}/${SAMPLE_INIT.entry}`);
  await dynamicImport('node:fs/promises');
  await dynamicImport(EMPTY_MODULE);
  void process.stdout;
  void process.stderr;
  await warmFetchPath(SAMPLE_INVOKE);
}
