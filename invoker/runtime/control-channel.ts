import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { encodeFrame, FrameDecoder, FramingError, type Frame } from '../../core/framing.js';
import type { FromShim } from '../../core/schemas/control.js';

/**
 * The invoker passes the control socket as fd 3. The number and the socket stay
 * inside this module: nothing here is put on a global, so function code has no
 * reference to the frame encoder or the socket.
 */
const CONTROL_FD = 3;
/** Requests are capped by the gateway (6 MiB); this only bounds a broken peer. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface ControlChannel {
  send(frame: FromShim, body?: Uint8Array): void;
}

/** The shim's own exits: the invoker let go of the channel (nothing failed), or the protocol broke. */
export const EXIT_CHANNEL_CLOSED = 0;
export const EXIT_PROTOCOL = 70;

/** Writes to the real stderr, bypassing the capture installed on process.stderr. */
export function diagnostic(message: string): void {
  try {
    writeSync(2, `tsfn-shim: ${message}\n`);
  } catch {
    // stderr gone too: nothing left to tell.
  }
}

export function protocolFailure(message: string): never {
  diagnostic(message);
  process.exit(EXIT_PROTOCOL);
}

/**
 * Opens fd 3 and feeds every complete frame to `onFrame`, in order. A closed
 * channel means the invoker has let go of this container: the shim exits.
 */
export function openControlChannel(onFrame: (frame: Frame) => void): ControlChannel {
  let socket: Socket;
  try {
    socket = new Socket({ fd: CONTROL_FD, readable: true, writable: true });
  } catch (err) {
    protocolFailure(`fd ${CONTROL_FD} is not a control socket: ${(err as Error).message}`);
  }
  const decoder = new FrameDecoder(MAX_FRAME_BYTES);
  socket.on('data', (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      protocolFailure(err instanceof FramingError ? err.message : `cannot read a frame: ${String(err)}`);
    }
    for (const frame of frames) onFrame(frame);
  });
  socket.on('end', () => process.exit(EXIT_CHANNEL_CLOSED));
  socket.on('error', (err) => {
    diagnostic(`control channel: ${err.message}`);
    process.exit(EXIT_CHANNEL_CLOSED);
  });
  return {
    send(frame, body) {
      socket.write(encodeFrame(frame, body));
    },
  };
}
