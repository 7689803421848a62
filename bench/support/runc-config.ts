import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../../core/paths.js';

/**
 * runc bundle configs for bench:launcher, both with the base layer as a
 * read-only root, the namespaces tsfn uses, no terminal, uid 65534, every
 * capability dropped and no_new_privs.
 */

/** The minimum runc needs: /proc, /dev and /tmp, runc's default masks, no seccomp. */
export function runcConfig(rootfs: string) {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false, user: { uid: 65534, gid: 65534 }, args: ['/usr/bin/node', '--version'],
      env: ['PATH=/usr/bin'], cwd: '/', noNewPrivileges: true,
      capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
    },
    root: { path: rootfs, readonly: true },
    hostname: 'tsfn',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=65536k'] },
    ],
    linux: {
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'].map((type) => ({ type })),
      resources: { memory: { limit: 256 * 1048576 }, pids: { limit: 128 } },
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/**
 * What the launcher does, as runc says it: also a read-only /sys, /dev/shm,
 * the launcher's masks and rlimits, and its seccomp filter (the syscalls
 * native/src/seccomp.c denies with EPERM, clone3 with ENOSYS, clone with any
 * namespace flag refused, TIOCSTI and TIOCLINUX refused; foreign
 * architectures killed, as libseccomp does for architectures not listed).
 * Only personality's allow-list is left out: libseccomp takes one comparison
 * per argument in a rule.
 */
export function runcConfigSameIsolation(rootfs: string) {
  const minimal = runcConfig(rootfs);
  const table = readFileSync(join(paths.root, 'native', 'src', 'seccomp.c'), 'utf8');
  const denied = [...table.matchAll(/\{ __NR_(\w+), DENY_EPERM \}/g)].map((m) => m[1]!);
  if (denied.length < 40) throw new Error(`bench: found only ${denied.length} denied syscalls in native/src/seccomp.c`);
  const EPERM = 1;
  const ENOSYS = 38;
  const CLONE_NAMESPACE_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];
  const TIOCSTI = 0x5412;
  const TIOCLINUX = 0x541c;
  return {
    ...minimal,
    process: {
      ...minimal.process,
      rlimits: [
        { type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 },
        { type: 'RLIMIT_FSIZE', hard: 64 * 1048576, soft: 64 * 1048576 },
        { type: 'RLIMIT_CORE', hard: 0, soft: 0 },
      ],
    },
    mounts: [
      ...minimal.mounts,
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'nodev', 'noexec', 'mode=1777', 'size=16777216'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      ...minimal.linux,
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
      ],
      seccomp: {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [
          { names: denied, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
          { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
          ...CLONE_NAMESPACE_FLAGS.map((flag) => ({
            names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM,
            args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
          })),
          ...[TIOCSTI, TIOCLINUX].map((request) => ({
            names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 1, value: request, op: 'SCMP_CMP_EQ' }],
          })),
        ],
      },
    },
  };
}
