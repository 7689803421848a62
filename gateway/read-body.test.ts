import { describe, expect, it } from 'vitest';
import { PayloadTooLarge } from '../core/errors.js';
import { readBody } from './read-body.js';

const post = (body: string | ReadableStream, headers: Record<string, string> = {}) =>
  new Request('http://gw/fn/x/', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

describe('readBody', () => {
  it('reads the whole body of a POST', async () => {
    expect((await readBody(post('hello'), 10, 'a test')).toString()).toBe('hello');
  });

  it('refuses a body past the limit, streamed or declared', async () => {
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(6));
        c.enqueue(new Uint8Array(6));
        c.close();
      },
    });
    await expect(readBody(post(stream), 10, 'a test')).rejects.toThrow(PayloadTooLarge);
    await expect(readBody(post('x', { 'content-length': '11' }), 10, 'a test')).rejects.toThrow(PayloadTooLarge);
  });

  it('gives GET and HEAD requests an empty body without asking for one', async () => {
    for (const method of ['GET', 'HEAD']) {
      // As @hono/node-server's lightweight Request: asking for the body would build a whole undici Request.
      const req = Object.create(Request.prototype, {
        method: { get: () => method },
        headers: { get: () => new Headers({ 'content-length': '5' }) },
        body: { get: () => { throw new Error('body read'); } },
      }) as Request;
      expect((await readBody(req, 10, 'a test')).length).toBe(0);
    }
  });
});
