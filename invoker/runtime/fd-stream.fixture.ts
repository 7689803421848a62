/**
 * For fd-stream.test.ts: opens fd 3 (or the fd given) the way argv[2] says
 * (`pipe` or `net`) and echoes every chunk back; prints `end` when the peer
 * closes, or the error.
 */
import * as net from 'node:net';
import { openNetSocket, openPipeHandle, type FdStream } from './fd-stream.js';

const [mode, fdArg] = process.argv.slice(2);
const fd = Number(fdArg ?? 3);
let stream: FdStream | undefined;
const events = {
  data: (chunk: Buffer) => stream!.write(Buffer.from(chunk)),
  end: () => {
    process.stdout.write('end\n');
    process.exit(0);
  },
  error: (message: string) => {
    process.stdout.write(`error: ${message}\n`);
    process.exit(1);
  },
};
try {
  stream = mode === 'pipe' ? openPipeHandle(fd, events) : openNetSocket(net, fd, events);
  if (!stream) throw new Error('pipe handle not offered');
} catch (err) {
  process.stdout.write(`thrown: ${(err as Error).message}\n`);
  process.exit(2);
}
