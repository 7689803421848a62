import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, json, ok, scratchDir, startShim, writeFunction } from './runtime-harness.js';

/*
 * The shim's control channel opens fd 3 through libuv's pipe handle, reached
 * by `process.binding` (invoker/runtime/fd-stream.ts), and falls back to a
 * `net.Socket` when a Node does not offer it as expected. Here a preload takes
 * `process.binding` away, and a whole shim start, init and invocations run on
 * the fallback.
 */
const FN = `
export default {
  async fetch(request) {
    const body = Buffer.from(await request.arrayBuffer());
    return Response.json({ net: process.moduleLoadList.includes('NativeModule net'), bytes: body.length, sum: body.reduce((a, b) => a + b, 0) });
  },
};
`;

afterAll(cleanUp);

describe('runtime shim: control channel fallback (net.Socket)', () => {
  const body = Buffer.alloc(300_000, 7);

  it('runs init and invocations, large bodies included, with process.binding gone', async () => {
    const preload = join(scratchDir(), 'no-bindings.cjs');
    writeFileSync(preload, "process.binding = () => { throw new Error('process.binding is gone'); };\n");
    const shim = await startShim({ nodeArgs: ['--require', preload] });
    expect((await shim.init(writeFunction({ 'index.mjs': FN }))).t).toBe('init-ok');
    for (let i = 0; i < 3; i++) {
      const a = await shim.invoke({ http: { method: 'POST', path: '/' } }, body);
      ok(a);
      expect(json(a)).toEqual({ net: true, bytes: body.length, sum: 7 * body.length });
    }
  });

  it('uses the pipe handle, and not node:net, when process.binding is there', async () => {
    const shim = await startShim();
    expect((await shim.init(writeFunction({ 'index.mjs': FN }))).t).toBe('init-ok');
    const a = await shim.invoke({ http: { method: 'POST', path: '/' } }, body);
    expect(json(a)).toEqual({ net: false, bytes: body.length, sum: 7 * body.length });
  });
});
