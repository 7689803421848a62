/**
 * The Fetch standard's Body mixin, the read side shared by the shim's Request
 * and Response: `body`, `bodyUsed`, and the methods that consume it once.
 */
import { Body } from './body.js';
import { LightHeaders } from './headers.js';
import { realFetchClasses } from './real-classes.js';

const decoder = new TextDecoder();

/** The body itself, for the shim's and the subclasses' use (not a static: user code would see it). */
export let bodyOf: (message: BodyMixin) => Body;
export let replaceBody: (message: BodyMixin, body: Body) => void;

export abstract class BodyMixin {
  #body: Body;

  protected constructor(body: Body) {
    this.#body = body;
  }

  abstract get headers(): LightHeaders;

  get body(): ReadableStream<Uint8Array> | null {
    return this.#body.stream;
  }

  get bodyUsed(): boolean {
    return this.#body.used;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.#body.consume();
    return bytes.slice().buffer;
  }

  async bytes(): Promise<Uint8Array> {
    return (await this.#body.consume()).slice();
  }

  async text(): Promise<string> {
    return decoder.decode(await this.#body.consume());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async blob(): Promise<Blob> {
    const bytes = await this.#body.consume();
    return new Blob([bytes], { type: this.headers.get('content-type') ?? '' });
  }

  /** Multipart and urlencoded parsing are undici's: it is loaded for this. */
  async formData(): Promise<FormData> {
    const bytes = await this.#body.consume();
    const headers: Record<string, string> = {};
    const type = this.headers.get('content-type');
    if (type !== null) headers['content-type'] = type;
    return new (realFetchClasses().Response)(bytes, { headers }).formData();
  }

  static {
    bodyOf = (message) => message.#body;
    replaceBody = (message, body) => {
      message.#body = body;
    };
  }
}

