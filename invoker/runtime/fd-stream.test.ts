import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { paths } from '../../core/paths.js';

const FIXTURE = join(paths.root, 'invoker', 'runtime', 'fd-stream.fixture.ts');

function start(mode: string, fd?: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, ...(fd === undefined ? [] : [String(fd)])], {
    cwd: paths.root, stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; out: string }>((resolve) => child.on('close', (code) => resolve({ code, out })));
  return { socket: child.stdio[3] as Socket, exited };
}

/** Sends `bytes`, collects as many back. */
function echo(socket: Socket, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let n = 0;
    const onData = (b: Buffer) => {
      got.push(b);
      n += b.length;
      if (n >= bytes.length) {
        socket.off('data', onData);
        resolve(Buffer.concat(got));
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe.each(['pipe', 'net'])('fd stream (%s)', (mode) => {
  it('carries bytes both ways in order, large writes included, and reports the peer closing', async () => {
    const { socket, exited } = start(mode);
    const small = Buffer.from('hello');
    expect((await echo(socket, small)).equals(small)).toBe(true);
    // More than a socket buffer holds: the writes back cannot complete at once.
    const large = randomBytes(8 << 20);
    expect((await echo(socket, large)).equals(large)).toBe(true);
    socket.end();
    expect(await exited).toEqual({ code: 0, out: 'end\n' });
  }, 30_000);
});

describe('fd stream (pipe)', () => {
  it('refuses a descriptor that is not open', async () => {
    const { socket, exited } = start('pipe', 200);
    const { code, out } = await exited;
    socket.destroy();
    expect(code).toBe(2);
    expect(out).toMatch(/^thrown: EBADF/);
  });

  it('refuses a descriptor that is not a socket', async () => {
    const { socket, exited } = start('pipe', 0);
    const { code, out } = await exited;
    socket.destroy();
    expect(code).toBe(2);
    expect(out).toBe('thrown: fd 0 is not a socket\n');
  });
});
