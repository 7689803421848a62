import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { SpawnServer } from '../invoker/container/spawn-server.js';
import { requireRoot } from './support/root.js';

/**
 * The launcher's spawn-server as the invoker drives it: a launcher failure is
 * reported with its exit code and message; every launched container's real
 * use is covered by the invoker tests, which start all their containers here.
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
});
