import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it, beforeAll } from 'vitest';
import { paths } from '../core/paths.js';
import { requireRoot } from './support/root.js';
import { PAYLOAD_UID_BASE, PAYLOAD_UID_COUNT } from '../invoker/container/payload-ids.js';

/**
 * `tsfn run` end to end: the built CLI makes a container from the base layer
 * exactly as for a function, with probes bind-mounted read-only at /probe.
 */
const probes = join(paths.root, 'test', 'fixtures', 'probes');
const bin = join(paths.root, 'bin', 'tsfn.js');
const exec = promisify(execFile);
const dataDir = inject('dataDir');

async function tsfnRun(flags: string[], cmd: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, 'run', '--mount', `${probes}:/probe:ro`, ...flags, '--', ...cmd],
      { env: { PATH: process.env.PATH, TSFN_DATA_DIR: dataDir, SECRET_OF_THE_HOST: 'leak' }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const ourCgroups = () => ['memory', 'pids', 'cpu', 'cpuacct', 'freezer'].flatMap((c) => {
  try {
    return readdirSync(`/sys/fs/cgroup/${c}/tsfn`).filter((d) => d.startsWith(`inv-`));
  } catch {
    return [];
  }
});
/**
 * Owner cgroups (inv-<pid>-<id>) that appeared since `before` and whose
 * process is gone: what an exited `tsfn run` left. Those of live processes
 * belong to test files running beside this one (vitest runs two at once).
 */
const leftBehind = (before: string[]) => ourCgroups().filter((d) => {
  if (before.includes(d)) return false;
  try {
    process.kill(Number(d.split('-')[1]), 0);
    return false;
  } catch {
    return true;
  }
});

beforeAll(() => requireRoot());

describe('tsfn run isolation', () => {
  it('holds against hostile probes and leaves the host as it found it', async () => {
    const mountsBefore = readFileSync('/proc/self/mountinfo', 'utf8');
    const cgroupsBefore = ourCgroups();
    const r = await tsfnRun([], ['/usr/bin/node', '/probe/inside.cjs']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    // A uid of the payload range, as a function's container gets (invoker/container/payload-ids.ts).
    expect(s.uid).toBeGreaterThanOrEqual(PAYLOAD_UID_BASE);
    expect(s.uid).toBeLessThan(PAYLOAD_UID_BASE + PAYLOAD_UID_COUNT);
    expect(s.gid).toBe(65534);
    expect(s.hostname).toBe('tsfn');
    expect(s.caps).toEqual(['0000000000000000', '0000000000000000', '0000000000000000', '0000000000000000', '0000000000000000']);
    expect(s.noNewPrivs).toBe('1');
    expect(s.seccomp).toBe('2');
    expect(s.pids.length).toBeLessThanOrEqual(3);
    expect(s.pids[0]).toBe(1);
    expect(s.netdevs).toEqual(['lo']);
    // Beyond 0-2, only what Node opened for itself (epoll, eventfd, its own pipes); the
    // launcher-level test checks with a static probe that nothing else is inherited.
    for (const [fd, target] of s.fds as [number, string][]) {
      if (fd > 2) expect(target).toMatch(/^(anon_inode:|pipe:|gone$)/);
    }
    expect(s.writes.corePattern).toMatch(/EROFS|EACCES|EPERM/);
    expect(s.writes.sysrq).toMatch(/EROFS|EACCES|EPERM|ENOENT/);
    expect(s.writes.cgroup).toMatch(/EROFS|EACCES|EPERM|ENOENT/);
    expect(s.writes.etc).toMatch(/EACCES|EROFS/);
    // Masked (empty) where the host kernel has them at all.
    expect(s.masked.keys).toBe('');
    expect(s.masked.timerList).toBe('');
    expect([0, 'ERR:ENOENT'.length]).toContain(s.masked.kcore);
    expect(s.env.SECRET_OF_THE_HOST).toBeUndefined();
    expect(s.env.NODE_EXTRA_CA_CERTS).toBeUndefined();
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(mountsBefore);
    expect(leftBehind(cgroupsBefore)).toEqual([]);
  });

  it('refuses every privileged syscall the static probe tries (mount, unshare, setns, keyctl, bpf, ptrace of pid 1, mknod, ...)', async () => {
    const r = await tsfnRun(['--mount', `${join(paths.root, 'native', 'build')}:/native:ro`], ['/native/probe', 'syscalls']);
    expect(r.code).toBe(0);
    const results = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    const allowed = { clone_plain: 'ok', personality_query: 'ok', clone3: 'ENOSYS', x32_getpid: 'ENOSYS' } as Record<string, string>;
    for (const call of ['mount', 'umount2', 'pivot_root', 'unshare_newns', 'unshare_newuser', 'setns', 'keyctl', 'bpf',
      'ptrace_attach', 'mknod', 'sethostname', 'settimeofday', 'clone_newns', 'open_tree', 'move_mount', 'init_module']) {
      expect(results[call], call).toBe('EPERM');
    }
    for (const [call, got] of Object.entries(results)) expect(got, call).toBe(allowed[call] ?? 'EPERM');
  });

  it('runs Node normally inside: worker_threads, child_process, fs, crypto, loopback HTTP', async () => {
    const r = await tsfnRun(['--memory', '256'], ['/usr/bin/node', '/probe/node-works.cjs']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ worker: 42, child: 'true', file: 'data', hash: 'ba7816bf', uuid: 36, body: 'pong' });
  });

  it('passes the exit status through', async () => {
    expect((await tsfnRun([], ['/usr/bin/node', '-e', 'process.exit(7)'])).code).toBe(7);
    expect((await tsfnRun([], ['/usr/bin/node', '-e', 'process.kill(process.pid, "SIGTERM")'])).code).toBe(143);
  });
});

describe('tsfn run quotas', () => {
  it('kills a process that allocates past --memory and exits 137', async () => {
    expect((await tsfnRun(['--memory', '96'], ['/usr/bin/node', '/probe/quota.cjs', 'hog'])).code).toBe(137);
  });

  it('holds a busy loop to --cpu 0.25 (± 10%)', async () => {
    const r = await tsfnRun(['--cpu', '0.25'], ['/usr/bin/node', '/probe/quota.cjs', 'cpu']);
    const { ratio } = JSON.parse(r.stdout);
    expect(ratio).toBeGreaterThan(0.225);
    expect(ratio).toBeLessThan(0.275);
  });

  it('stops a fork bomb at --pids', async () => {
    const r = await tsfnRun(['--pids', '40', '--memory', '512'], ['/usr/bin/node', '/probe/quota.cjs', 'fork']);
    const { started, error } = JSON.parse(r.stdout);
    expect(error).toBe('EAGAIN');
    expect(started).toBeLessThan(40);
  });

  it('ends a full /tmp in ENOSPC at the tmpfs size (half the memory)', async () => {
    const r = await tsfnRun(['--memory', '128'], ['/usr/bin/node', '/probe/quota.cjs', 'fill']);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'ENOSPC' });
    expect(JSON.parse(r.stdout).mib).toBeLessThanOrEqual(64);
    expect(JSON.parse(r.stdout).mib).toBeGreaterThan(50);
  });

  it('stops CMD at --timeout with exit 124', async () => {
    const t0 = Date.now();
    expect((await tsfnRun(['--timeout', '1'], ['/usr/bin/node', '/probe/quota.cjs', 'sleep'])).code).toBe(124);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});

describe('tsfn run bad usage', () => {
  it.each([
    [['--memory', 'lots', '--', 'true']],
    [['--mount', 'relative:/x', '--', 'true']],
    [['--cpu', '99', '--', 'true']],
    [['--bogus', '--', 'true']],
    [[]],
  ])('exits 2 with one line for %j', async (args) => {
    try {
      await exec(process.execPath, [bin, 'run', ...args], { env: { PATH: process.env.PATH } });
      throw new Error('expected a failure');
    } catch (err) {
      const e = err as { code: number; stderr: string };
      expect(e.code).toBe(2);
      expect(e.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
