import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder, FramingError } from '../../core/framing.js';
import { FromShim, type ToShim } from '../../core/schemas/control.js';

export type ShimFrame = FromShim & { body: Buffer };

/**
 * The invoker's end of a container's control socket. Every frame from the
 * shim is validated: the shim shares its process with untrusted function
 * code, so anything malformed or too large is a protocol violation that ends
 * the channel (and the caller destroys the container).
 */
export class ControlChannel {
  private readonly decoder: FrameDecoder;
  private listener: ((f: ShimFrame) => void) | undefined;
  private failure: Error | undefined;
  private onFailure: ((err: Error) => void) | undefined;

  constructor(private readonly socket: Socket, maxFrameBytes: number) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(new Error(`control channel: ${err.message}`)));
    socket.on('close', () => this.fail(new Error('control channel closed')));
  }

  send(frame: ToShim, body?: Uint8Array): void {
    if (this.failure) throw this.failure;
    this.socket.write(encodeFrame(frame, body));
  }

  /** Every frame goes to `fn` until replaced; failure (close, violation) goes to `onFailure`, once. */
  listen(fn: (f: ShimFrame) => void, onFailure: (err: Error) => void): void {
    this.listener = fn;
    this.onFailure = onFailure;
    if (this.failure) onFailure(this.failure);
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer) {
    if (this.failure) return;
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err instanceof FramingError ? new Error(`protocol violation: ${err.message}`) : (err as Error));
      return;
    }
    for (const { meta, body } of frames) {
      const parsed = FromShim.safeParse(meta);
      if (!parsed.success) {
        this.fail(new Error(`protocol violation: unexpected frame ${JSON.stringify(meta).slice(0, 200)}`));
        return;
      }
      this.listener?.({ ...parsed.data, body });
      if (this.failure) return;
    }
  }

  /** Marks the channel failed; the listener learns of it once. */
  fail(err: Error) {
    if (this.failure) return;
    this.failure = err;
    this.socket.destroy();
    this.onFailure?.(err);
  }
}
