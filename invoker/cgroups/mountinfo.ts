/** One cgroup filesystem mount, from a `/proc/<pid>/mountinfo` line. */
export interface CgroupMount {
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  /** v1 controllers bound to this hierarchy (`cpu`, `cpuacct`...); empty for cgroup2 and named hierarchies. */
  controllers: string[];
}

/** The mount options that are not controllers, so `rw,cpu,cpuacct` yields [cpu, cpuacct]. */
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'noprefix', 'clone_children', 'xattr', 'cpuset_v2_mode', 'favordynmods']);

/**
 * Parses mountinfo (proc(5)): `id parent major:minor root mountpoint options
 * [optional...] - fstype source superoptions`, with spaces in paths escaped
 * as octal.
 */
export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    const mountPoint = fields[4];
    if (mountPoint === undefined || (fsType !== 'cgroup' && fsType !== 'cgroup2')) continue;
    const controllers = fsType === 'cgroup'
      ? superOptions.split(',').filter((o) => !NOT_CONTROLLERS.has(o) && !o.includes('='))
      : [];
    mounts.push({ mountPoint: unescapeOctal(mountPoint), fsType, controllers });
  }
  return mounts;
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
