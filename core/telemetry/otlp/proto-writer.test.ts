import { describe, expect, it } from 'vitest';
import { ProtoWriter } from './proto-writer.js';

describe('ProtoWriter.beginLong', () => {
  // The lengths where a varint grows a byte, and either side of them.
  it.each([0, 1, 127, 128, 129, 16383, 16384, 16385, 20000])('writes the same bytes as begin() for a %i-byte message', (n) => {
    const body = Buffer.from(Array.from({ length: n }, (_, i) => i % 251));
    const write = (long: boolean) => {
      const w = new ProtoWriter(16);
      w.tag(2, 2);
      const at = long ? w.beginLong() : w.begin();
      w.raw(body);
      if (long) w.endLong(at);
      else w.end(at);
      w.tag(3, 0);
      w.varint(1);
      return Buffer.from(w.view());
    };
    expect(write(true).equals(write(false))).toBe(true);
  });
});
