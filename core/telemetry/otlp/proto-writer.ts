/**
 * A protobuf writer over one growing Buffer, reused between batches (reset),
 * so that encoding a span allocates nothing once the buffer is big enough.
 * Short strings and hex ids are written by JS loops (a native Buffer.write
 * costs more than the loop for a few dozen bytes); a nested message
 * reserves one byte for its length and moves its bytes only when it turns out
 * to be 128 bytes or longer (as otlp-transformer's ProtobufWriter does, so
 * that the two produce the same bytes).
 */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  /** A new buffer of `initial` bytes, or the given one (whose contents are overwritten). */
  constructor(initial: number | Buffer = 4096) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
  }

  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far (a view, valid until the next write or reset). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A field's key: one byte for field numbers below 16. */
  tag(field: number, wireType: number): void {
    const key = (field << 3) | wireType;
    if (key < 0x80 && this.pos < this.buf.length) this.buf[this.pos++] = key;
    else this.varint(key);
  }

  /** Non-negative integers below 2^53 (counts, lengths, enums) and negative int64 as ten bytes. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    if (v >= 0 && v < 0x80) {
      b[this.pos++] = v;
      return;
    }
    if (v >= 0 && v <= 0xffffffff) {
      let x = v >>> 0;
      while (x > 0x7f) {
        b[this.pos++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      b[this.pos++] = x;
      return;
    }
    // Above 32 bits: low and high words; a negative int64 in two's complement.
    const abs = Math.abs(v);
    let low = abs >>> 0;
    let high = (abs / 0x100000000) >>> 0;
    if (v < 0) {
      low = (~low + 1) >>> 0;
      high = (~high + (low === 0 ? 1 : 0)) >>> 0;
    }
    while (high > 0 || low > 0x7f) {
      b[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    b[this.pos++] = low;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(low >>> 0, this.pos);
    this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A length-prefixed UTF-8 string. */
  string(s: string): void {
    const n = s.length;
    if (n < 43) {
      // At most 3 bytes a UTF-16 unit: the length fits in the one byte reserved.
      this.ensure(1 + n * 3);
      const at = this.pos++;
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) {
          p = this.pos + b.write(s, this.pos, 'utf8');
          break;
        }
        b[p++] = c;
      }
      b[at] = p - this.pos;
      this.pos = p;
      return;
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** Bytes encoded elsewhere, as they are (no length prefix). */
  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A hex id (trace or span id) as bytes, as otlp-transformer's hexToBinary reads it. */
  hex(id: string): void {
    const n = id.length >> 1;
    this.varint(n);
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < 2 * n; i += 2) b[p++] = (NIBBLE[id.charCodeAt(i) & 0x7f]! << 4) | NIBBLE[id.charCodeAt(i + 1) & 0x7f]!;
    this.pos = p;
  }

  /** Starts a nested message; pass what it returns to end(). */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /**
   * Starts a nested message expected to be 128 bytes to 16 KiB long (a
   * span), with two bytes reserved for its length; pass what it returns to
   * endLong(). The bytes are the same as begin()'s: only fewer of them move.
   */
  beginLong(): number {
    this.ensure(2);
    const at = this.pos;
    this.pos += 2;
    return at;
  }

  endLong(at: number): void {
    const len = this.pos - at - 2;
    if (len >= 0x80 && len < 0x4000) {
      this.buf[at] = (len & 0x7f) | 0x80;
      this.buf[at + 1] = len >>> 7;
      return;
    }
    // Shorter or longer than expected: as begin() and end() would have written it.
    this.buf.copyWithin(at + 1, at + 2, this.pos);
    this.pos--;
    this.end(at);
  }

  end(at: number): void {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    let size = 1;
    for (let x = len; x > 0x7f; x >>>= 7) size++;
    this.ensure(size - 1);
    this.buf.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    let x = len;
    let p = at;
    while (x > 0x7f) {
      this.buf[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[p] = x;
  }
}

/** Hex digit values (others read as otlp-transformer's hexToBinary reads them: the code minus 55). */
const NIBBLE = Uint8Array.from({ length: 128 }, (_, c) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : (c - 55) & 0xf));
