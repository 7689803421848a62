/**
 * A byte stream over an inherited socket descriptor, for the shim's control
 * channel. Two ways to open one, same behaviour:
 *
 * - `openPipeHandle`: libuv's pipe handle, the one `net.Socket` itself wraps,
 *   used directly. Loading `node:net` (and with it `node:stream`) costs a
 *   Lambda-style cold start about 3 ms of its ~8 over bare Node here
 *   (CPU profile of the shim), and the shim needs none of what it adds:
 *   frames are whole buffers, written in order, and libuv queues what the
 *   kernel does not take at once. Node exposes the handle through
 *   `process.binding('pipe_wrap')` and `process.binding('stream_wrap')`
 *   (allow-listed, not runtime-deprecated in Node 20); it returns undefined
 *   when they are not what this code expects, as a later Node may make them.
 * - `openNetSocket`: `net.Socket`, the fallback.
 */
import { fstatSync } from 'node:fs';
import type { Socket } from 'node:net';

export interface FdStream {
  write(bytes: Buffer): void;
}

export interface FdStreamEvents {
  data(chunk: Buffer): void;
  /** The peer closed its end. */
  end(): void;
  error(message: string): void;
}

interface PipeHandle {
  open(fd: number): number;
  readStart(): number;
  writeBuffer(req: WriteRequest, data: Buffer): number;
  onread: (this: PipeHandle, buffer: ArrayBuffer | undefined) => void;
}
interface WriteRequest {
  handle: PipeHandle;
  buffer?: Buffer;
  oncomplete(status: number): void;
}
interface StreamWrap {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
}
interface PipeWrap {
  Pipe: new (type: number) => PipeHandle;
  constants: { SOCKET: number };
}

const UV_EOF = -4095;

function bindings(): { pipe: PipeWrap; stream: StreamWrap } | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding;
    const pipe = binding('pipe_wrap') as PipeWrap;
    const stream = binding('stream_wrap') as StreamWrap;
    const ok = typeof pipe?.Pipe === 'function' && typeof pipe.constants?.SOCKET === 'number'
      && typeof stream?.WriteWrap === 'function' && stream.streamBaseState instanceof Int32Array
      && [stream.kReadBytesOrError, stream.kArrayBufferOffset].every((k) => typeof k === 'number');
    return ok ? { pipe, stream } : undefined;
  } catch {
    return undefined;
  }
}

/** The descriptor through libuv's pipe handle; undefined if this Node does not offer it as expected. */
export function openPipeHandle(fd: number, on: FdStreamEvents): FdStream | undefined {
  const b = bindings();
  if (!b) return undefined;
  const { WriteWrap, streamBaseState: state, kReadBytesOrError, kArrayBufferOffset } = b.stream;
  // libuv would take any descriptor (a file, /dev/null) and read end-of-file from it.
  if (!fstatSync(fd).isSocket()) throw new Error(`fd ${fd} is not a socket`);
  const handle = new b.pipe.Pipe(b.pipe.constants.SOCKET);
  const opened = handle.open(fd);
  if (opened < 0) throw new Error(`cannot open fd ${fd} as a socket (libuv error ${opened})`);
  handle.onread = function onread(buffer) {
    const nread = state[kReadBytesOrError]!;
    if (nread > 0 && buffer) on.data(Buffer.from(buffer, state[kArrayBufferOffset]!, nread));
    else if (nread === UV_EOF) on.end();
    else if (nread < 0) on.error(`read failed (libuv error ${nread})`);
  };
  const started = handle.readStart();
  if (started < 0) throw new Error(`cannot read fd ${fd} (libuv error ${started})`);
  const complete = (status: number) => {
    if (status < 0) on.error(`write failed (libuv error ${status})`);
  };
  return {
    write(bytes) {
      const req = new WriteWrap();
      req.handle = handle;
      req.oncomplete = complete;
      // libuv holds the request, and needs the bytes, until the kernel has taken them all.
      req.buffer = bytes;
      const err = handle.writeBuffer(req, bytes);
      if (err < 0) on.error(`write failed (libuv error ${err})`);
    },
  };
}

/** The descriptor as a `net.Socket`: `net` must be passed in, so that loading it stays the caller's choice. */
export function openNetSocket(net: { Socket: typeof Socket }, fd: number, on: FdStreamEvents): FdStream {
  const socket = new net.Socket({ fd, readable: true, writable: true });
  socket.on('data', (chunk: Buffer) => on.data(chunk));
  socket.on('end', () => on.end());
  socket.on('error', (err) => on.error(err.message));
  return { write: (bytes) => void socket.write(bytes) };
}
