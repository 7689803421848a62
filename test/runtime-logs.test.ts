import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_CAP_BYTES, TRUNCATED_MARKER } from '../invoker/runtime/log-capture.js';
import { cleanUp, ok, ShimProcess, startShim, writeFunction } from './runtime-harness.js';

const LOGGING_FN = `
console.log('init line');
export default {
  async fetch(request, ctx) {
    const url = new URL(request.url);
    const tag = url.searchParams.get('tag');
    switch (url.pathname) {
      case '/levels':
        console.log('log', tag);
        console.info('info', tag);
        console.warn('warn', tag);
        console.error('error', tag);
        console.debug('debug', tag);
        process.stdout.write('stdout ' + tag + '\\n');
        process.stderr.write(Buffer.from('stderr ' + tag));
        console.log('%s=%d %o', 'n', 42, { a: [1] });
        return new Response(tag);
      case '/slow':
        for (let i = 0; i < 3; i++) {
          console.log('slow', tag, i);
          await new Promise((r) => setTimeout(r, 40));
        }
        return new Response(tag);
      case '/flood': {
        const line = 'x'.repeat(1023);
        for (let i = 0; i < 300; i++) console.log(line);
        return new Response('flooded');
      }
      case '/forge': {
        const meta = Buffer.from(JSON.stringify({ t: 'result', id: ctx.invocationId, status: 299, headers: [], logs: [] }));
        const head = Buffer.alloc(8);
        head.writeUInt32BE(meta.length, 0);
        head.writeUInt32BE(6, 4);
        process.stdout.write(Buffer.concat([head, meta, Buffer.from('forged')]));
        console.log(Buffer.concat([head, meta]).toString('latin1'));
        return new Response('genuine');
      }
      case '/late':
        setTimeout(() => console.log('late line'), 10);
        setTimeout(() => Promise.reject(new Error('late rejection')), 10);
        return new Response('early');
    }
    return new Response('nothing', { status: 404 });
  },
};
`;

describe('runtime shim: log capture', () => {
  let shim: ShimProcess;

  beforeAll(async () => {
    shim = await startShim();
    await shim.init(writeFunction({ 'index.mjs': LOGGING_FN }));
  });
  afterAll(cleanUp);

  it('puts init output first in the first invocation, and captures every level per invocation', async () => {
    const one = await shim.invoke({ http: { path: '/levels', query: 'tag=one' } });
    const two = await shim.invoke({ http: { path: '/levels', query: 'tag=two' } });
    const expected = (tag: string) => [
      ['log', `log ${tag}`], ['info', `info ${tag}`], ['warn', `warn ${tag}`], ['error', `error ${tag}`],
      ['debug', `debug ${tag}`], ['stdout', `stdout ${tag}`], ['stderr', `stderr ${tag}`], ['log', 'n=42 { a: [ 1, [length]: 1 ] }'],
    ];
    expect(one.logs.map((l) => [l.level, l.msg])).toEqual([['log', 'init line'], ...expected('one')]);
    expect(two.logs.map((l) => [l.level, l.msg])).toEqual(expected('two'));
    expect(one.logs.every((l) => typeof l.ts === 'number' && l.ts > 0)).toBe(true);
  });

  it('sends log frames while an invocation runs, with its id', async () => {
    const a = await shim.invoke({ id: 'slow-1', http: { path: '/slow', query: 'tag=s' } });
    expect(a.logFrames).toBeGreaterThanOrEqual(1);
    expect(a.logs.map((l) => l.msg)).toEqual(['slow s 0', 'slow s 1', 'slow s 2']);
  });

  it(`keeps at most ${LOG_CAP_BYTES} bytes of an invocation's logs, then one marker; the next starts afresh`, async () => {
    const a = await shim.invoke({ http: { path: '/flood' } });
    expect(ok(a).status).toBe(200);
    const last = a.logs.at(-1)!;
    expect(last.msg).toBe(TRUNCATED_MARKER);
    expect(a.logs.filter((l) => l.msg === TRUNCATED_MARKER)).toHaveLength(1);
    const kept = a.logs.slice(0, -1).reduce((n, l) => n + Buffer.byteLength(l.msg), 0);
    expect(kept).toBe(LOG_CAP_BYTES);
    expect(a.logFrames).toBeGreaterThan(1);
    const next = await shim.invoke({ http: { path: '/levels', query: 'tag=after' } });
    expect(next.logs.map((l) => l.msg)).not.toContain(TRUNCATED_MARKER);
    expect(next.logs).toHaveLength(8);
  });

  it('keeps frame-shaped output as log text and never lets it reach the channel', async () => {
    const a = await shim.invoke({ http: { path: '/forge' } });
    expect(ok(a).status).toBe(200);
    expect(a.body.toString()).toBe('genuine');
    expect(a.logs).toHaveLength(2);
    expect(a.logs[0]!.level).toBe('stdout');
    expect(a.logs[0]!.msg).toContain('forged');
    expect(a.logs[1]!.msg).toContain('"status":299');
    const frames = shim.received.filter((r) => r.frame.t === 'result' && r.frame.status === 299);
    expect(frames).toHaveLength(0);
  });

  it('gives output from between invocations, uncaught rejections included, to the next invocation', async () => {
    const first = await shim.invoke({ http: { path: '/late' } });
    expect(first.logs).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    const second = await shim.invoke({ http: { path: '/levels', query: 'tag=next' } });
    const msgs = second.logs.map((l) => l.msg);
    expect(msgs[0]).toBe('late line');
    expect(msgs[1]).toMatch(/^Uncaught Error: late rejection/);
    expect(msgs).toContain('log next');
  });
});
