import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { paths } from '../core/paths.js';
import { AttachServer } from '../invoker/container/attach-server.js';
import { requireRoot } from './support/root.js';

/**
 * The launcher's attach-server, as the invoker drives it; a successful attach
 * into a real stem cell is covered by the pool's specialisation test.
 */
const server = new AttachServer(paths.launcher);
afterAll(() => server.close());

describe('attach server', () => {
  it('refuses requests that would mount into the host, answers each in order, and keeps serving', async () => {
    requireRoot();
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    const results = await Promise.allSettled([
      server.attach(process.pid, '/tmp', '/mnt'),
      server.attach(process.pid, '/nonexistent-tsfn-source', '/mnt'),
      server.attach(999_999_999, '/tmp', '/mnt'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const reasons = results.map((r) => (r as PromiseRejectedResult).reason.message);
    expect(reasons[0]).toMatch(/setns `\/proc\/\d+\/ns\/mnt`/);
    expect(reasons[1]).toMatch(/open_tree `\/nonexistent-tsfn-source`/);
    expect(reasons[2]).toMatch(/invalid pid|open `\/proc\/999999999/);
    await expect(server.attach(process.pid, 'relative', '/mnt')).rejects.toThrow(/absolute/);
    await expect(server.attach(process.pid, '/a\tb', '/mnt')).rejects.toThrow(/tabs/);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(mounts);
  });
});
