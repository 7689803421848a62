import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { encodeFrame, FrameDecoder, FramingError, type Frame } from '../../core/framing.js';
import type { FromShim } from '../../core/schemas/control.js';
import { openNetSocket, openPipeHandle, type FdStream, type FdStreamEvents } from './fd-stream.js';

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
  const decoder = new FrameDecoder(MAX_FRAME_BYTES);
  const events: FdStreamEvents = {
    data(chunk) {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        protocolFailure(err instanceof FramingError ? err.message : `cannot read a frame: ${String(err)}`);
      }
      for (const frame of frames) onFrame(frame);
    },
    end: () => process.exit(EXIT_CHANNEL_CLOSED),
    error(message) {
      diagnostic(`control channel: ${message}`);
      process.exit(EXIT_CHANNEL_CLOSED);
    },
  };
  let stream: FdStream;
  try {
    stream = openPipeHandle(CONTROL_FD, events) ?? openNetSocket(createRequire('/')('node:net'), CONTROL_FD, events);
  } catch (err) {
    protocolFailure(`fd ${CONTROL_FD} is not a control socket: ${(err as Error).message}`);
  }
  return {
    send(frame, body) {
      stream.write(encodeFrame(frame, body));
    },
  };
}
