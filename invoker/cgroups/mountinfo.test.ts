import { describe, expect, it } from 'vitest';
import { parseMountinfo } from './mountinfo.js';

describe('parseMountinfo', () => {
  it('reads v1 controllers, cgroup2 mounts and escaped paths, skipping other filesystems', () => {
    const text = [
      '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:7 - cgroup cgroup rw,cpu,cpuacct',
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime master:3 shared:9 - cgroup cgroup rw,memory',
      '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
      '42 31 0:39 /docker/abc /mnt/with\\040space rw - cgroup cgroup ro,pids,clone_children',
      '',
    ].join('\n');
    expect(parseMountinfo(text)).toEqual([
      { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', fsType: 'cgroup', controllers: ['cpu', 'cpuacct'] },
      { mountPoint: '/sys/fs/cgroup/memory', fsType: 'cgroup', controllers: ['memory'] },
      { mountPoint: '/sys/fs/cgroup/systemd', fsType: 'cgroup', controllers: [] },
      { mountPoint: '/sys/fs/cgroup/unified', fsType: 'cgroup2', controllers: [] },
      { mountPoint: '/mnt/with space', fsType: 'cgroup', controllers: ['pids'] },
    ]);
  });
});
