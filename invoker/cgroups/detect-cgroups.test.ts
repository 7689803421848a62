import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectCgroups } from './cgroup.js';
import { LIVE_OWNER } from './cgroup-cases.js';

const line = (id: number, mountPoint: string, fs: string, opts: string) =>
  `${id} 22 0:${id} / ${mountPoint} rw,nosuid,nodev,noexec,relatime shared:${id} - ${fs} ${fs} ${opts}`;

describe('detectCgroups', () => {
  let dir: string;
  let root: string;
  let mountinfo: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsfn-detect-'));
    root = join(dir, 'cgroup');
    mountinfo = join(dir, 'mountinfo');
    mkdirSync(root);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const mounts = (...lines: string[]) => writeFileSync(mountinfo, `${lines.join('\n')}\n`);
  const v1Lines = (except = '') => ['cpu', 'cpuacct', 'memory', 'pids', 'freezer']
    .filter((c) => c !== except)
    .map((c, i) => line(30 + i, join(root, c), 'cgroup', `rw,${c}`));

  it('picks v2 when <root>/cgroup.controllers offers cpu, memory and pids', () => {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    mounts(...v1Lines());
    expect(detectCgroups({ owner: LIVE_OWNER, root, mountinfo }).version).toBe(2);
  });

  it('picks v1 on a hybrid host: v1 controllers plus a controller-less cgroup2 at <root>/unified', () => {
    mounts(...v1Lines(), line(40, join(root, 'unified'), 'cgroup2', 'rw,nsdelegate'), line(41, join(root, 'systemd'), 'cgroup', 'rw,xattr,name=systemd'));
    expect(detectCgroups({ owner: LIVE_OWNER, root, mountinfo }).version).toBe(1);
  });

  it('falls back to v1 when the cgroup2 root lacks a controller', () => {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory\n');
    mounts(...v1Lines());
    expect(detectCgroups({ owner: LIVE_OWNER, root, mountinfo }).version).toBe(1);
  });

  it('names the paths and the missing controllers when neither version is usable', () => {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory\n');
    mounts(...v1Lines('freezer'), line(50, '/elsewhere/freezer', 'cgroup', 'rw,freezer'));
    expect(() => detectCgroups({ owner: LIVE_OWNER, root, mountinfo })).toThrow(
      `no usable cgroups: v2: ${root}/cgroup.controllers lists "cpu memory", missing pids; ` +
      `v1: no hierarchy with the freezer controller mounted under ${root} (per ${mountinfo})`,
    );
  });

  it('says when there is no cgroup2 at the root and names every missing v1 controller', () => {
    mounts(line(30, join(root, 'cpu'), 'cgroup', 'rw,cpu'));
    expect(() => detectCgroups({ owner: LIVE_OWNER, root, mountinfo })).toThrow(
      new RegExp(`${root}/cgroup.controllers does not exist .* cpuacct, memory, pids, freezer controllers`),
    );
  });

  it('refuses owner ids that reaping could not judge', () => {
    expect(() => detectCgroups({ owner: 'invoker', root, mountinfo })).toThrow(/inv-<pid>-<rand>/);
  });
});
