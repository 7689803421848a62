import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { freePort } from '../infra/services/free-port.js';
import { buildArtifact, deploy } from './support/artifacts.js';
import { requireRoot } from './support/root.js';

/**
 * `tsfn up` stopped as a terminal stops it: Ctrl-C sends SIGINT to the whole
 * foreground process group. The invocation running then still completes, the
 * private Redis and PostgreSQL outlive the components that drain into them,
 * and nothing of the platform is left.
 */
let child: ChildProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  if (child?.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const portOpen = (url: string) => new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(url);
  const s = connect(Number(port), hostname, () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

it('stops on Ctrl-C after the running invocation, then stops its own Redis and PostgreSQL, leaving nothing', async () => {
  requireRoot();
  dir = mkdtempSync(join(tmpdir(), 'tsfn-up-'));
  const port = await freePort();
  const proc = spawn(process.execPath, [join(paths.root, 'bin', 'tsfn.js'), 'up', '--data-dir', dir, '--port', String(port)], {
    env: { PATH: process.env.PATH, HOME: dir, TSFN_PREWARM: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, as a shell gives a foreground job
  });
  child = proc;
  let out = '';
  proc.stdout!.on('data', (b) => (out += b));
  proc.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const until = Date.now() + 90_000;
  while (!out.includes('tsfn is up')) {
    if (proc.exitCode !== null || Date.now() > until) throw new Error(`tsfn up did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = `http://127.0.0.1:${port}`;
  const admin = /\n {2}(tsfn_\S+)\n/.exec(out)![1]!;
  const redisUrl = /redis: +(redis:\/\/\S+)/.exec(out)![1]!;
  const pgUrl = /postgresql: +(postgres:\/\/\S+)/.exec(out)![1]!;
  const invoker = /invoker (inv-\S+) running/.exec(out)![1]!;

  const slow = await buildArtifact({
    'index.ts': 'export default { async fetch() { await new Promise((r) => setTimeout(r, 1500)); return new Response("done"); } };',
  });
  expect((await deploy(url, admin, 'slow', { public: true }, slow.data)).status).toBe(201);
  const running = fetch(`${url}/fn/slow`);
  await new Promise((r) => setTimeout(r, 700));
  process.kill(-proc.pid!, 'SIGINT');

  const res = await running;
  expect(res.status).toBe(200);
  expect(await res.text()).toBe('done');
  expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 60_000))])).toBe(0);
  expect(out).not.toMatch(/ECONNREFUSED|ECONNRESET/);
  expect(await portOpen(redisUrl)).toBe(false);
  expect(await portOpen(pgUrl)).toBe(false);
  for (const c of ['memory', 'pids', 'cpu', 'freezer']) expect(existsSync(`/sys/fs/cgroup/${c}/tsfn/${invoker}`)).toBe(false);
}, 150_000);
