import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FramingError } from './framing.js';

describe('framing', () => {
  it('round-trips meta and binary body', () => {
    const body = Buffer.from([0, 255, 1, 254, 10, 13]);
    const d = new FrameDecoder(1 << 20);
    const frames = d.push(encodeFrame({ t: 'x', n: 1 }, body));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.meta).toEqual({ t: 'x', n: 1 });
    expect(Buffer.compare(frames[0]!.body, body)).toBe(0);
  });

  it('reassembles frames split at every byte and joined together', () => {
    const a = encodeFrame({ t: 'a' }, Buffer.from('hello'));
    const b = encodeFrame({ t: 'b' });
    const all = Buffer.concat([a, b]);
    const d = new FrameDecoder(1 << 20);
    const got = [];
    for (let i = 0; i < all.length; i++) got.push(...d.push(all.subarray(i, i + 1)));
    expect(got.map((f) => f.meta)).toEqual([{ t: 'a' }, { t: 'b' }]);
    expect(got[0]!.body.toString()).toBe('hello');
    expect(got[1]!.body.length).toBe(0);
  });

  it('rejects a frame over the size limit before buffering it', () => {
    const d = new FrameDecoder(100);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(10, 0);
    head.writeUInt32BE(1000, 4);
    expect(() => d.push(head)).toThrow(FramingError);
  });

  it('rejects a header that is not JSON', () => {
    const bad = Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 0]), Buffer.from('{{{')]);
    expect(() => new FrameDecoder(100).push(bad)).toThrow(/not valid JSON/);
  });
});
