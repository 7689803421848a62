/**
 * The body of the shim's own Request and Response (see headers.ts for why).
 * Bytes stay bytes until someone asks for `body`, the stream; the web streams
 * are loaded then, never on the path of a string or buffer body. What only
 * undici does (multipart FormData) is left to undici's classes, loaded then.
 */
import { createRequire } from 'node:module';
import type { UnderlyingByteSource } from 'node:stream/web';
import { realFetchClasses } from './real-classes.js';

export type Source = Uint8Array | ReadableStream<Uint8Array>;

export interface Extracted {
  source: Source;
  /** The Content-Type the body implies when the headers have none. */
  type: string | null;
}

const encoder = new TextEncoder();

/** The Fetch standard's "extract a body", for everything BodyInit allows. */
export function extractBody(init: unknown): Extracted {
  if (typeof init === 'string') return { source: encoder.encode(init), type: 'text/plain;charset=UTF-8' };
  if (init instanceof URLSearchParams) {
    return { source: encoder.encode(init.toString()), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  if (init instanceof ArrayBuffer || init instanceof SharedArrayBuffer) return { source: new Uint8Array(init.slice(0)), type: null };
  if (ArrayBuffer.isView(init)) {
    return { source: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), type: null };
  }
  if (init instanceof Blob) return { source: init.stream(), type: init.type || null };
  if (isReadableStream(init)) {
    if (init.locked) throw new TypeError('Response body object should not be disturbed or locked');
    return { source: init, type: null };
  }
  if (isFormData(init)) {
    const real = new (realFetchClasses().Response)(init as FormData);
    return { source: real.body as ReadableStream<Uint8Array>, type: real.headers.get('content-type') };
  }
  if (typeof init === 'object' && init !== null && typeof (init as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    return { source: iterableStream(init as AsyncIterable<unknown>), type: null };
  }
  return extractBody(String(init));
}

/** One Request's or Response's body: its bytes or stream, and whether it was read. */
export class Body {
  #source: Source | null;
  #used = false;

  constructor(source: Source | null) {
    this.#source = source;
  }

  get stream(): ReadableStream<Uint8Array> | null {
    if (this.#source instanceof Uint8Array) this.#source = bytesStream(this.#source, this.#used);
    return this.#source;
  }

  get used(): boolean {
    if (this.#used) return true;
    return this.#source !== null && !(this.#source instanceof Uint8Array) && isDisturbed(this.#source);
  }

  get isNull(): boolean {
    return this.#source === null;
  }

  /** A second body with the same content, as `clone()` makes: bytes shared, a stream teed. */
  clone(): Body {
    if (this.#source === null || this.#source instanceof Uint8Array) return new Body(this.#source);
    const [mine, theirs] = this.#source.tee();
    this.#source = mine;
    return new Body(theirs);
  }

  /** Hands the source over to a new Request (`new Request(request)`); this one reads as used. */
  transfer(): Body {
    const moved = new Body(this.#source);
    this.#used = true;
    this.#source = this.#source instanceof Uint8Array ? new Uint8Array(0) : this.#source;
    return moved;
  }

  /** The bytes, marked read, when the body is unread bytes (no stream made of it yet); else null. */
  takeBytes(): Uint8Array | null {
    if (this.#used || !(this.#source instanceof Uint8Array)) return null;
    this.#used = true;
    return this.#source;
  }

  /** All of the body's bytes; it reads as used from then on. */
  async consume(): Promise<Uint8Array> {
    if (this.used || (this.#source !== null && !(this.#source instanceof Uint8Array) && this.#source.locked)) {
      throw new TypeError('Body is unusable: Body has already been read');
    }
    this.#used = true;
    const source = this.#source;
    if (source === null) return new Uint8Array(0);
    return source instanceof Uint8Array ? source : readAll(source);
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) {
      await reader.cancel().catch(() => undefined);
      throw new TypeError('Received non-Uint8Array chunk');
    }
    size += value.byteLength;
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function bytesStream(bytes: Uint8Array, used: boolean): ReadableStream<Uint8Array> {
  const source: UnderlyingByteSource = {
    type: 'bytes',
    start(controller) {
      if (!used && bytes.byteLength) controller.enqueue(new Uint8Array(bytes));
      controller.close();
    },
  };
  return new ReadableStream(source as never) as ReadableStream<Uint8Array>;
}

function iterableStream(iterable: AsyncIterable<unknown>): ReadableStream<Uint8Array> {
  const iterator = iterable[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) {
        controller.close();
        return;
      }
      controller.enqueue(value instanceof Uint8Array ? value : encoder.encode(String(value)));
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  // Checked by brand, not by loading the web streams: a body that is none loads nothing.
  return Object.prototype.toString.call(value) === '[object ReadableStream]';
}

function isFormData(value: unknown): boolean {
  return Object.prototype.toString.call(value) === '[object FormData]';
}

let disturbed: ((stream: ReadableStream) => boolean) | undefined;

function isDisturbed(stream: ReadableStream): boolean {
  // node:stream is loaded only once some body is a stream (web streams are loaded by then).
  disturbed ??= (createRequire('/')('node:stream') as { isDisturbed(s: ReadableStream): boolean }).isDisturbed;
  return disturbed(stream);
}
