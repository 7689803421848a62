/**
 * Byte layout of control-channel frames:
 *
 *   u32be jsonLength | u32be bodyLength | json (utf-8) | body (raw bytes)
 *
 * JSON carries the frame's fields; the body carries request or response bytes
 * as they are, so binary bodies cost no base64. Pure code, no Node streams:
 * the shim and the invoker both wrap it around a socket.
 */
export interface Frame {
  meta: unknown;
  body: Buffer;
}

export class FramingError extends Error {}

const HEADER = 8;
const EMPTY = Buffer.alloc(0);

export function encodeFrame(meta: object, body?: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(meta));
  const bodyLen = body?.byteLength ?? 0;
  const out = Buffer.allocUnsafe(HEADER + json.length + bodyLen);
  out.writeUInt32BE(json.length, 0);
  out.writeUInt32BE(bodyLen, 4);
  json.copy(out, HEADER);
  if (body && bodyLen) out.set(body, HEADER + json.length);
  return out;
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** @param maxFrameBytes a frame larger than this is a protocol violation. */
  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes in; returns every frame they complete, in order. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < HEADER) return frames;
      const head = this.peek(HEADER);
      const jsonLen = head.readUInt32BE(0);
      const bodyLen = head.readUInt32BE(4);
      const total = HEADER + jsonLen + bodyLen;
      if (total > this.maxFrameBytes) {
        throw new FramingError(`frame of ${total} bytes exceeds the limit of ${this.maxFrameBytes}`);
      }
      if (this.buffered < total) return frames;
      const all = this.take(total);
      let meta: unknown;
      try {
        meta = JSON.parse(all.toString('utf8', HEADER, HEADER + jsonLen));
      } catch {
        throw new FramingError('frame header is not valid JSON');
      }
      const body = bodyLen ? all.subarray(HEADER + jsonLen, total) : EMPTY;
      frames.push({ meta, body });
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
