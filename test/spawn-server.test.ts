import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { SpawnServer } from '../invoker/container/spawn-server.js';
import { requireRoot } from './support/root.js';

/**
 * The launcher's spawn-server as the invoker drives it: a launcher failure is
 * reported with its exit code and message, and the network namespaces it
 * makes ahead; every launched container's real use is covered by the invoker
 * tests, which start all their containers here.
 */
const runDir = mkdtempSync(join(tmpdir(), 'tsfn-test-spawn-'));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

describe('spawn server', () => {
  it('reports a launcher that fails with its code and message on the output connection', async () => {
    requireRoot();
    const server = await SpawnServer.start(paths.launcher, runDir);
    try {
      const proc = await server.launch(['run', '--layer', '/nonexistent-tsfn-layer', '--pass-fd', '3', '--info-fd', '4', '--', '/bin/true'])
        .catch((err: Error) => err);
      if (proc instanceof Error) {
        expect(proc.message).toMatch(/exited with status 113/);
      } else {
        let output = '';
        proc.output.on('data', (b) => { output += b; });
        proc.output.resume();
        expect(await proc.exited).toBe(113);
        await expect(proc.initPid).rejects.toThrow(/before the container ran/);
        await new Promise((r) => setTimeout(r, 50));
        expect(output).toMatch(/nonexistent-tsfn-layer/);
      }
      await expect(server.launch(['run', 'a\0b'])).rejects.toThrow(/NUL/);
      expect(server.alive).toBe(true);
    } finally {
      server.close();
    }
    expect(readdirSync(runDir)).toEqual([]);
  });

  it('gives each container a network namespace of its own, made while it was idle', async () => {
    requireRoot();
    const layer = join(runDir, 'layer');
    for (const d of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(join(layer, d), { recursive: true });
    copyFileSync(join(paths.root, 'native', 'build', 'probe'), join(layer, 'probe'));
    const server = await SpawnServer.start(paths.launcher, runDir);
    try {
      await new Promise((r) => setTimeout(r, 500)); // idle: two spares, each after 50 ms of quiet
      const launch = () => server.launch([
        'run', '--layer', layer, '--scratch', join(runDir, 'scratch'), '--pass-fd', '3', '--info-fd', '4', '--', '/probe', 'sleep',
      ]);
      const running = [await launch(), await launch()];
      const seen = [];
      for (const proc of running) {
        proc.output.resume();
        const init = await proc.initPid;
        seen.push({
          netns: readlinkSync(`/proc/${init}/ns/net`),
          args: readFileSync(`/proc/${proc.launcherPid}/cmdline`, 'utf8').split('\0'),
        });
      }
      expect(seen[0]!.netns).not.toBe(seen[1]!.netns);
      for (const { netns, args } of seen) {
        expect(netns).not.toBe(readlinkSync('/proc/self/ns/net'));
        expect(args.slice(0, 4)).toEqual(['tsfn-launcher', 'run', '--netns-fd', '5']);
      }
      for (const proc of running) process.kill(proc.launcherPid, 'SIGTERM');
      expect(await Promise.all(running.map((p) => p.exited))).toEqual([128 + 15, 128 + 15]);
    } finally {
      server.close();
      rmSync(layer, { recursive: true, force: true });
      rmSync(join(runDir, 'scratch'), { recursive: true, force: true });
    }
  });
});
