import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonJsRendering, findHandler, HandlerNotFound, loadFunction } from './function-loader.js';

describe('loadFunction', () => {
  it('requires the CommonJS rendering of the entry when there is one, and imports the entry otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsfn-loader-unit-'));
    try {
      await writeFile(join(dir, 'index.mjs'), 'export async function handler() { return "esm"; }\n');
      const call = async () => {
        const fn = await loadFunction(dir, 'index.mjs');
        return fn.style === 'lambda' ? fn.handler({}, {}, () => {}) : undefined;
      };
      expect(await call()).toBe('esm');
      await writeFile(join(dir, commonJsRendering('index.mjs')), 'exports.handler = async () => "cjs";\n');
      expect(await call()).toBe('cjs');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('findHandler', () => {
  it('calls a default export\'s fetch as a method, with the context as env and as ctx', async () => {
    const app = { name: 'app', fetch(this: { name: string }, _r: Request, env: object, ctx: object) { return [this.name, env, ctx]; } };
    const found = findHandler({ default: app }, 'index.mjs');
    if (found.style !== 'fetch') throw new Error('expected fetch');
    const ctx = { invocationId: 'x' };
    expect(await found.fetch(new Request('http://x/'), ctx)).toEqual(['app', ctx, ctx]);
  });

  it('prefers default.fetch over a handler export, and finds handler on a CommonJS default', () => {
    expect(findHandler({ default: { fetch() {} }, handler() {} }, 'i').style).toBe('fetch');
    expect(findHandler({ handler: async () => 1 }, 'i').style).toBe('lambda');
    expect(findHandler({ default: { handler() {} } }, 'i').style).toBe('lambda');
  });

  it('names what it found when there is no handler', () => {
    expect(() => findHandler({}, 'index.mjs')).toThrow(/index\.mjs exports neither .* it exports nothing/);
    expect(() => findHandler({ default: () => 1, handler: 'no' }, 'i')).toThrow(HandlerNotFound);
    expect(() => findHandler({ default: () => 1, handler: 'no' }, 'i')).toThrow('default (a function), handler (a string)');
  });
});
