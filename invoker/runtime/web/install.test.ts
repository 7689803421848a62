import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFetchClasses } from './install.js';
import { LightHeaders } from './headers.js';
import { LightRequest } from './request.js';
import { LightResponse } from './response.js';

// Node 20's types declare no WebAssembly value without the DOM library.
const wasm = (globalThis as unknown as { WebAssembly: Record<string, any> }).WebAssembly;
/** The smallest WebAssembly module: magic and version. */
const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

describe('installFetchClasses (in this test worker, as the shim does at boot)', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    installFetchClasses();
    server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.setHeader('x-seen', `${req.method} ${req.headers['content-length'] ?? 'chunked'} ${req.headers['x-a']}`);
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("puts the shim's classes under the global names", () => {
    expect(globalThis.Request).toBe(LightRequest);
    expect(globalThis.Response).toBe(LightResponse);
    expect(globalThis.Headers).toBe(LightHeaders);
    expect(Object.keys(globalThis)).not.toContain('Response');
  });

  it("sends a shim Request through Node's fetch with its body, headers and a length", async () => {
    const request = new Request(`${base}/x`, { method: 'PUT', body: 'four', headers: { 'x-a': 'b' } });
    const response = await fetch(request);
    expect(response instanceof Response).toBe(true);
    expect(response.headers.get('x-seen')).toBe('PUT 4 b');
    expect(await response.text()).toBe('four');
    expect(request.bodyUsed).toBe(true);
    await expect(fetch(request)).rejects.toThrow(TypeError);
  });

  it('streams a stream body through fetch', async () => {
    const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('streamed')); c.close(); } });
    const response = await fetch(new Request(`${base}/s`, { method: 'POST', body, duplex: 'half' } as RequestInit));
    expect(response.headers.get('x-seen')).toMatch(/^POST chunked/);
    expect(await response.text()).toBe('streamed');
  });

  it("compiles WebAssembly from a shim Response, and still refuses what is not one", async () => {
    const compiled = await wasm.compileStreaming(new Response(EMPTY_WASM, { headers: { 'content-type': 'application/wasm' } }));
    expect(compiled).toBeInstanceOf(wasm.Module);
    const { instance } = await wasm.instantiateStreaming(Promise.resolve(new Response(EMPTY_WASM, { headers: { 'content-type': 'application/wasm' } })));
    expect(instance).toBeInstanceOf(wasm.Instance);
    await expect(wasm.compileStreaming({})).rejects.toThrow(TypeError);
  });
});
