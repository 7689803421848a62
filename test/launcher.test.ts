import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync,
  readlinkSync, rmdirSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { LauncherExit } from '../invoker/container/launcher-exit-codes.js';
import { openFreshNetns } from '../invoker/container/netns-hold.js';

/*
 * The C launcher (native/) run for real: every test starts a container from
 * a two-layer root filesystem holding the static probe (native/probe), which
 * reports what it can see and do from inside.
 */

const probe = join(paths.root, 'native', 'build', 'probe');
/*
 * Whether this kernel takes i386 syscalls at all: the probe's `int 0x80`, run
 * on the host without any filter. Some VMs' kernels (PVM guests here) answer
 * it with SIGSEGV, and then no container can make one either.
 */
const hostTakesI386 = spawnSync(probe, ['i386']).signal !== 'SIGSEGV';
const started = new Set<ChildProcess>();
let dir = '';
let top = '';
let bottom = '';
let scratch = '';

interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

class Launch {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  constructor(argv: string[], extraFds = 0) {
    this.child = spawn(paths.launcher, argv, { stdio: ['pipe', 'pipe', 'pipe', ...Array(extraFds).fill('pipe')] });
    started.add(this.child);
    this.child.stdout!.on('data', (b: Buffer) => { this.stdout += b.toString(); });
    this.child.stderr!.on('data', (b: Buffer) => { this.stderr += b.toString(); });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        started.delete(this.child);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  fd(n: number): Readable & Writable {
    return this.child.stdio[n] as Readable & Writable;
  }

  /** Resolves once stdout (from FROM on) contains TEXT. */
  async waitFor(text: string, from = 0): Promise<number> {
    for (let i = 0; i < 500; i++) {
      const at = this.stdout.indexOf(text, from);
      if (at >= 0) return at + text.length;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(this.stdout)} / ${this.stderr}`);
  }

  /** One command to a `probe repl` payload; its answer. */
  async ask(line: string): Promise<string> {
    const from = this.stdout.length;
    this.child.stdin!.write(`${line}\n`);
    const end = await this.waitFor('end\n', from);
    return this.stdout.slice(from, end - 'end\n'.length);
  }

  async infoPid(fd: number): Promise<number> {
    let line = '';
    for await (const chunk of this.fd(fd)) line += String(chunk);
    return (JSON.parse(line) as { pid: number }).pid;
  }
}

/** Options every launch of the current describe block gets: the isolation tests run twice, with and without --userns. */
let mode: string[] = [];

function runArgs(cmd: string[], opts: string[] = []): string[] {
  return ['run', '--layer', top, '--layer', bottom, '--scratch', scratch, ...mode, ...opts, '--', ...cmd];
}

const start = (cmd: string[], opts: string[] = [], extraFds = 0) => new Launch(runArgs(cmd, opts), extraFds);
const run = (cmd: string[], opts: string[] = [], extraFds = 0) => start(cmd, opts, extraFds).exited;

async function probeOut(args: string[], opts: string[] = []): Promise<string> {
  const r = await run(['/probe', ...args], opts);
  if (r.stderr) throw new Error(`probe ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const lines = (s: string) => s.split('\n').filter(Boolean);
const facts = (s: string) => Object.fromEntries(lines(s).map((l) => l.split(' ') as [string, string]));

beforeAll(() => {
  if (process.getuid?.() !== 0) {
    throw new Error('test/launcher.test.ts must run as root: it creates namespaces, mounts and cgroups');
  }
  dir = mkdtempSync(join(tmpdir(), 'tsfn-launcher-test-'));
  top = join(dir, 'top');
  bottom = join(dir, 'bottom');
  scratch = join(dir, 'scratch');
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'mnt', 'bin']) mkdirSync(join(top, d), { recursive: true });
  chmodSync(join(top, 'tmp'), 0o1777);
  mkdirSync(bottom);
  copyFileSync(probe, join(top, 'probe'));
  copyFileSync(probe, join(top, 'bin', 'probe'));
  copyFileSync(probe, join(top, 'probe-suid'));
  chmodSync(join(top, 'probe-suid'), 0o4755);
  writeFileSync(join(top, 'layer-file'), 'top\n');
  writeFileSync(join(bottom, 'layer-file'), 'bottom\n');
  writeFileSync(join(bottom, 'only-bottom'), 'bottom\n');
});

afterAll(async () => {
  for (const c of started) c.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each([['', []], [' with --userns', ['--userns']]] as [string, string[]][])('tsfn-launcher: inside the container%s', (_, modeArgs) => {
  beforeAll(() => { mode = modeArgs; });
  afterAll(() => { mode = []; });

  it('runs the payload as pid 2 under init and shows only the container in /proc', async () => {
    const pids = lines(await probeOut(['ls', '/proc'])).filter((e) => /^\d+$/.test(e));
    expect(pids).toEqual(['1', '2']);
  });

  it('leaves no capability, sets no_new_privs, and filters syscalls', async () => {
    const status = await probeOut(['cat', '/proc/self/status']);
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
      expect(status).toMatch(new RegExp(`^${set}:\\s+0000000000000000$`, 'm'));
    }
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(/^Seccomp:\s+2$/m);
  });

  it('refuses the syscalls an attacker needs with EPERM, and clone3 with ENOSYS', async () => {
    const got = facts(await probeOut(['syscalls']));
    const eperm = [
      'mount', 'umount2', 'pivot_root', 'chroot', 'unshare_newns', 'unshare_newuser', 'unshare_newnet', 'setns',
      'keyctl', 'add_key', 'request_key', 'bpf', 'ptrace_attach', 'ptrace_traceme', 'mknod', 'sethostname',
      'setdomainname', 'settimeofday', 'clock_settime', 'clone_newns', 'clone_newuser', 'clone_newpid',
      'clone_newnet', 'name_to_handle_at', 'open_by_handle_at', 'perf_event_open', 'userfaultfd', 'io_uring_setup',
      'open_tree', 'fsopen', 'fspick', 'move_mount', 'mount_setattr', 'open_tree_attr', 'init_module',
      'finit_module', 'delete_module', 'kexec_load', 'reboot', 'swapon', 'syslog', 'acct', 'kcmp',
      'process_vm_readv', 'process_vm_writev', 'personality_addr_no_randomize', 'ioctl_tiocsti',
      'ioctl_tiocsti_high_bits', 'modify_ldt', 'get_mempolicy', 'set_mempolicy', 'mbind', 'iopl', 'ioperm',
      'pidfd_getfd', 'fanotify_init', 'quotactl', 'vhangup', 'lookup_dcookie',
    ];
    for (const name of eperm) expect(`${name} ${got[name]}`).toBe(`${name} EPERM`);
    expect(got.clone3).toBe('ENOSYS');
    expect(got.x32_getpid).toBe('ENOSYS');
    expect(got.clone_plain).toBe('ok');
    expect(got.personality_query).toBe('ok');
  });

  it.skipIf(!hostTakesI386)('kills a process that makes a foreign-architecture (i386) syscall'
    + (hostTakesI386 ? '' : ' (skipped: this kernel refuses int 0x80 itself)'), async () => {
    const r = await run(['/probe', 'i386']);
    expect(r.code).toBe(128 + 31);
    expect(r.stdout).not.toContain('survived');
  });

  it('still lets glibc start threads (clone3 falls back to clone) and fork', async () => {
    expect(await probeOut(['thread'])).toBe('thread ok\n');
    expect(await probeOut(['fork', '3'])).toBe('forked 3 none\n');
  });

  it('runs as 65534:65534 with no supplementary groups, and a setuid binary does not change that', async () => {
    const id = 'uid 65534 65534 65534\ngid 65534 65534 65534\ngroups 0\n';
    expect(await probeOut(['id'])).toBe(id);
    const suid = await run(['/probe-suid', 'id']);
    expect(suid.stdout).toBe(id);
  });

  it('protects init: it survives SIGKILL and its /proc entries are closed to the payload', async () => {
    expect(await probeOut(['kill-init'])).toBe('kill ok\ninit alive\n');
    expect(await probeOut(['open', '/proc/1/mem'])).toBe('open EACCES\n');
    expect(await probeOut(['open', '/proc/1/environ'])).toBe('open EACCES\n');
    expect(await probeOut(['readlink', '/proc/1/root'])).toBe('ERR EACCES\n');
    expect(await probeOut(['readlink', '/proc/1/cwd'])).toBe('ERR EACCES\n');
    expect(await probeOut(['ls', '/proc/1/fd'])).toBe('ERR EACCES\n');
    expect(await probeOut(['write', '/proc/1/oom_score_adj'])).toMatch(/^open E(ACCES|PERM)\n$/);
    const cmdline = await probeOut(['cat', '/proc/1/cmdline'], ['--env', 'K=v', '--cwd', '/tmp']);
    expect(cmdline.replace(/^\0+/, '')).toBe('/probe\0cat\0/proc/1/cmdline\0');
  });

  it('makes kernel knobs read-only and masks what leaks host secrets', async () => {
    for (const path of ['/proc/sys/kernel/core_pattern', '/proc/sysrq-trigger', '/sys/fs/cgroup/evil',
      '/sys/kernel/uevent_helper', '/proc/sys/vm/drop_caches']) {
      expect(`${path} ${await probeOut(['write', path])}`).toMatch(new RegExp(`^${path} open E(ACCES|ROFS|NOENT)\\n$`));
    }
    const mounts = await probeOut(['cat', '/proc/self/mountinfo']);
    for (const path of ['/proc/sys', '/proc/bus', '/proc/fs', '/proc/irq', '/sys']) {
      expect(mounts).toMatch(new RegExp(`^\\S+ \\S+ \\S+ \\S+ ${path} ro,`, 'm'));
    }
    if (existsSync('/proc/sysrq-trigger')) expect(mounts).toMatch(/ \/proc\/sysrq-trigger ro,/);
    // Masked: covered by /dev/null or by an empty read-only tmpfs, whatever the reader's rights.
    for (const file of ['kcore', 'keys', 'timer_list', 'sched_debug', 'latency_stats']) {
      if (!existsSync(`/proc/${file}`)) continue;
      expect(mounts).toMatch(new RegExp(`^\\S+ \\S+ \\S+ /null /proc/${file} `, 'm'));
      expect(await probeOut(['cat', `/proc/${file}`])).toBe('');
    }
    for (const d of ['/proc/acpi', '/proc/scsi', '/proc/asound', '/sys/firmware', '/sys/devices/virtual/powercap']) {
      if (!existsSync(d)) continue;
      expect(mounts).toMatch(new RegExp(`^\\S+ \\S+ \\S+ / ${d} ro,.* - tmpfs `, 'm'));
      expect(await probeOut(['ls', d])).toBe('');
    }
    expect(await probeOut(['ls', '/sys/fs/cgroup'])).toBe('');
  });

  it('offers only harmless devices in a /dev that cannot hold real ones', async () => {
    expect(lines(await probeOut(['ls', '/dev']))).toEqual(
      ['fd', 'full', 'null', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
    for (const node of ['/dev/mem', '/dev/kmsg', '/dev/vda', '/dev/sda', '/dev/port']) {
      expect(await probeOut(['open', node])).toBe('open ENOENT\n');
    }
    expect(await probeOut(['write', '/dev/null'])).toBe('write ok\n');
    expect(await probeOut(['statfs', '/dev'])).toBe('size 65536\nflags nosuid nodev noexec\n');
    expect(await probeOut(['statfs', '/dev/shm'], ['--shm-size', '2097152']))
      .toBe('size 2097152\nflags nosuid nodev noexec\n');
    expect(await probeOut(['statfs', '/proc'])).toBe('size 0\nflags nosuid nodev noexec\n');
  });

  it('has a private network with only lo, up, where a loopback TCP server works', async () => {
    expect(await probeOut(['net'])).toBe('if lo up\ntcp hi\n');
    expect(await probeOut(['ls', '/sys/class/net'])).toBe('lo\n');
  });

  it('cannot climb out of its root', async () => {
    const out = lines(await probeOut(['climb']));
    expect(out[0]).toBe('cwd /');
    expect(out).toContain('probe');
    expect(out).toContain('layer-file');
    expect(out).not.toContain('scratch');
    expect(await probeOut(['readlink', '/proc/self/root'])).toBe('/\n');
  });

  it('stacks layers first-on-top and writes only to the throwaway tmpfs', async () => {
    expect(await probeOut(['cat', '/layer-file'])).toBe('top\n');
    expect(await probeOut(['cat', '/only-bottom'])).toBe('bottom\n');
    expect(await probeOut(['write', '/tmp/new'])).toBe('write ok\n');
    expect(readdirSync(join(top, 'tmp'))).toEqual([]);
    expect(await probeOut(['cat', '/tmp/new'])).toBe('ERR ENOENT\n');
  });

  it('sets hostname, environment, cwd and rlimits as told', async () => {
    expect(await probeOut(['hostname'])).toBe('tsfn\n');
    expect(await probeOut(['hostname'], ['--hostname', 'box-1'])).toBe('box-1\n');
    expect(await probeOut(['env'])).toBe('');
    const env = await run(['probe', 'env'], ['--env', 'PATH=/nope:/bin', '--env', 'A=b=c']);
    expect(env.stdout).toBe('PATH=/nope:/bin\nA=b=c\n');
    expect(await probeOut(['cwd'], ['--cwd', '/tmp'])).toBe('/tmp\n');
    expect(await probeOut(['rlimits'], ['--nofile', '256', '--upper-size', '1048576']))
      .toBe('nofile 256 256\nfsize 1048576\ncore 0\n');
  });

  it('ends writes past --upper-size with ENOSPC and past --fsize with EFBIG', async () => {
    const full = (await probeOut(['fill', '/tmp/big'], ['--upper-size', '1048576', '--fsize', '4194304'])).split(' ');
    expect(full[0]).toBe('ENOSPC');
    expect(Number(full[1])).toBeLessThanOrEqual(1048576);
    expect(await probeOut(['fill', '/tmp/big'], ['--fsize', '131072'])).toBe('EFBIG 131072\n');
  });

  it('closes every fd but 0-2 and the passed ones, and a passed socket works', async () => {
    expect(await probeOut(['ls', '/proc/self/fd'])).toBe('0\n1\n2\n');
    const l = start(['/probe', 'ls', '/proc/self/fd'], ['--pass-fd', '4'], 2);
    expect((await l.exited).stdout).toBe('0\n1\n2\n4\n');
    const echo = start(['/probe', 'echo-fd', '3'], ['--pass-fd', '3'], 1);
    echo.fd(3).write('ping\n');
    let reply = '';
    echo.fd(3).on('data', (b: Buffer) => { reply += b.toString(); });
    const r = await echo.exited;
    expect(r.stdout).toBe('write ok\n');
    expect(reply).toBe('PING\n');
  });
});

describe('tsfn-launcher: a network namespace made ahead (--netns-fd)', () => {
  /** CMD run with FD as fd 3 and `--netns-fd 3`. */
  async function runWithNetns(fd: number, cmd: string[], opts: string[] = []): Promise<Exit> {
    const child = spawn(paths.launcher, runArgs(cmd, ['--netns-fd', '3', ...opts]), { stdio: ['ignore', 'pipe', 'pipe', fd] });
    started.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    const [code, signal] = await once(child, 'close') as [number | null, NodeJS.Signals | null];
    started.delete(child);
    return { code, signal, stdout, stderr };
  }

  it('joins the namespace it is given: only lo, up, and no fd of it left inside', async () => {
    const fd = await openFreshNetns(paths.launcher);
    try {
      const given = readlinkSync(`/proc/self/fd/${fd}`);
      expect(given).not.toBe(readlinkSync('/proc/self/ns/net'));
      expect(await runWithNetns(fd, ['/probe', 'readlink', '/proc/self/ns/net'])).toMatchObject({ code: 0, stdout: `${given}\n` });
      expect((await runWithNetns(fd, ['/probe', 'net'])).stdout).toBe('if lo up\ntcp hi\n');
      expect((await runWithNetns(fd, ['/probe', 'ls', '/proc/self/fd'])).stdout).toBe('0\n1\n2\n');
    } finally {
      closeSync(fd);
    }
  });

  it('refuses an fd that is not a network namespace, one also passed to the payload, and --userns with it', async () => {
    const mnt = openSync('/proc/self/ns/mnt', 'r');
    try {
      expect(await runWithNetns(mnt, ['/probe'])).toMatchObject({
        code: LauncherExit.usage,
        stderr: 'tsfn-launcher: ioctl `NS_GET_NSTYPE --netns-fd 3`: not a network namespace: Invalid argument\n',
      });
    } finally {
      closeSync(mnt);
    }
    const net = await openFreshNetns(paths.launcher);
    try {
      const r = await runWithNetns(net, ['/probe'], ['--userns']);
      expect(r.code).toBe(LauncherExit.usage);
      expect(r.stderr).toMatch(/^tsfn-launcher: --netns-fd cannot be combined with `--userns`/);
      const passed = await runWithNetns(net, ['/probe'], ['--pass-fd', '3']);
      expect(passed.code).toBe(LauncherExit.usage);
      expect(passed.stderr).toMatch(/^tsfn-launcher: --netns-fd must differ from `--pass-fd`/);
    } finally {
      closeSync(net);
    }
  });
});

describe('tsfn-launcher: lifecycle', () => {
  it('passes the exit code through, and a signal death as 128+N', async () => {
    expect((await run(['/probe', 'exit', '42'])).code).toBe(42);
    expect((await run(['/probe', 'kill-self', '9'])).code).toBe(137);
    expect((await run(['/probe', 'kill-self', '15'])).code).toBe(143);
  });

  it('forwards signals to the payload through init', async () => {
    const trap = start(['/probe', 'trap']);
    await trap.waitFor('ready\n');
    trap.child.kill('SIGUSR1');
    expect(await trap.exited).toMatchObject({ code: 0, stdout: 'ready\ngot 10\n' });
    const sleeper = start(['/probe', 'sleep']);
    await sleeper.waitFor('ready\n');
    sleeper.child.kill('SIGTERM');
    expect((await sleeper.exited).code).toBe(143);
  });

  it('reports the host pid of the container init on --info-fd', async () => {
    const l = start(['/probe', 'sleep'], ['--info-fd', '3'], 1);
    const pid = await l.infoPid(3);
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`^NSpid:\\s+${pid}\\s+1$`, 'm'));
    l.child.kill('SIGTERM');
    await l.exited;
  });

  it('leaves the host mount table exactly as it was', async () => {
    const before = readFileSync('/proc/self/mountinfo', 'utf8');
    const l = start(['/probe', 'sleep'], ['--bind', `${dir}:/mnt:ro`]);
    await l.waitFor('ready\n');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(before);
    l.child.kill('SIGTERM');
    await l.exited;
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(before);
  });

  it('runs many containers at once on one scratch directory', async () => {
    const all = await Promise.all(Array.from({ length: 12 }, () => run(['/probe', 'net'])));
    for (const r of all) expect(r).toMatchObject({ code: 0, stdout: 'if lo up\ntcp hi\n', stderr: '' });
  });

  it('binds host paths read-only (nosuid, nodev) by default and read-write when asked', async () => {
    const data = join(dir, 'bind-src');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'f'), 'host\n');
    expect(await probeOut(['cat', '/data/f'], ['--bind', `${data}:/data`])).toBe('host\n');
    expect(await probeOut(['statfs', '/data'], ['--bind', `${data}:/data`])).toMatch(/flags ro nosuid nodev\n$/);
    chmodSync(data, 0o777);
    expect(await probeOut(['write', '/data/new'], ['--bind', `${data}:/data:rw`])).toBe('write ok\n');
    expect(existsSync(join(data, 'new'))).toBe(true);
    expect(await probeOut(['cat', '/etc/deep/f'], ['--bind', `${join(data, 'f')}:/etc/deep/f`])).toBe('host\n');
  });

  it('never follows a layer symlink naming a host path out of the root to make a bind target', async () => {
    const hostTarget = join(dir, 'host-target');
    mkdirSync(hostTarget);
    symlinkSync(hostTarget, join(top, 'escape'));
    try {
      const r = await run(['/probe', 'true'], ['--bind', `${dir}/bind-src:/escape/inner`]);
      expect(r.code).toBe(LauncherExit.mounts);
      expect(r.stderr).toBe('tsfn-launcher: openat2 `/escape`: No such file or directory\n');
      expect(readdirSync(hostTarget)).toEqual([]);
    } finally {
      rmSync(join(top, 'escape'));
    }
  });
});

describe('tsfn-launcher: failures', () => {
  const cases: [string, () => string[], number, RegExp][] = [
    ['no command', () => [], LauncherExit.usage, /^tsfn-launcher: unknown command `` /],
    ['no layer', () => ['run', '--', '/probe'], LauncherExit.usage, /^tsfn-launcher: missing `--layer` /],
    ['no CMD', () => ['run', '--layer', top], LauncherExit.usage, /^tsfn-launcher: missing `-- CMD` /],
    ['a missing layer', () => runArgs(['/probe'], ['--layer', join(dir, 'missing')]), LauncherExit.mounts,
      /^tsfn-launcher: open `\S+\/missing`: No such file or directory$/],
    ['a missing layer under --userns', () => runArgs(['/probe'], ['--userns', '--layer', join(dir, 'missing')]),
      LauncherExit.mounts, /^tsfn-launcher: open_tree `\S+\/missing`: No such file or directory$/],
    ['a bad cgroup', () => runArgs(['/probe'], ['--cgroup', '/sys/fs/cgroup/pids/tsfn-no-such-group']),
      LauncherExit.cgroup, /^tsfn-launcher: open `\/sys\/fs\/cgroup\/pids\/tsfn-no-such-group\/cgroup.procs`: No such file/],
    ['a missing CMD', () => runArgs(['/nope']), LauncherExit.notFound,
      /^tsfn-launcher: execve `\/nope`: No such file or directory$/],
    ['a CMD not on PATH', () => runArgs(['nope'], ['--env', 'PATH=/bin']), LauncherExit.notFound,
      /^tsfn-launcher: execve `nope`: No such file or directory$/],
    ['a CMD that is not executable', () => runArgs(['/layer-file']), LauncherExit.notExecutable,
      /^tsfn-launcher: execve `\/layer-file`: Permission denied$/],
    ['a missing cwd', () => runArgs(['/probe'], ['--cwd', '/nope']), LauncherExit.rootfs,
      /^tsfn-launcher: chdir `\/nope`: No such file or directory$/],
    ['a missing bind source', () => runArgs(['/probe'], ['--bind', '/nonexistent:/x']), LauncherExit.mounts,
      /^tsfn-launcher: open_tree `\/nonexistent`: No such file or directory$/],
    ['an fd that is not open', () => runArgs(['/probe'], ['--pass-fd', '99']), LauncherExit.usage,
      /^tsfn-launcher: fcntl `--pass-fd 99`: Bad file descriptor$/],
    ['an attach to no process', () => ['attach', '--pid', '999999999', '--source', dir, '--target', '/mnt'],
      LauncherExit.attach, /^tsfn-launcher: open `\/proc\/999999999\/ns\/mnt`: No such file or directory$/],
    ['an attach to a host process', () => ['attach', '--pid', String(process.pid), '--source', dir, '--target', '/mnt'],
      LauncherExit.attach, /^tsfn-launcher: setns `\/proc\/\d+\/ns\/mnt`: Invalid argument$/],
  ];
  it('refuses to pass a directory fd into the container (a way out of its root)', async () => {
    const fd = openSync(dir, 'r');
    try {
      const child = spawn(paths.launcher, runArgs(['/probe', 'true'], ['--pass-fd', '3']),
        { stdio: ['ignore', 'ignore', 'pipe', fd] });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
      const [code] = await once(child, 'exit');
      expect(code).toBe(LauncherExit.usage);
      expect(stderr).toBe('tsfn-launcher: fstat `--pass-fd 3`: Is a directory\n');
    } finally {
      closeSync(fd);
    }
  });

  for (const [what, argv, code, message] of cases) {
    it(`exits ${code} with one line naming the syscall and path on ${what}`, async () => {
      const r = await new Launch(argv()).exited;
      expect(r.code).toBe(code);
      expect(r.stderr.endsWith('\n')).toBe(true);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(message);
    });
  }
});

describe('tsfn-launcher: cgroup and attach', () => {
  it('puts every container process in the --cgroup before it runs, so pids.max holds', async () => {
    const group = `/sys/fs/cgroup/pids/tsfn-launcher-test-${process.pid}`;
    mkdirSync(group);
    try {
      writeFileSync(join(group, 'pids.max'), '5');
      const l = start(['/probe', 'repl'], ['--cgroup', group, '--info-fd', '3'], 1);
      try {
        const init = await l.infoPid(3);
        await l.waitFor('ready\n');
        const payload = Number(readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim());
        const procs = lines(readFileSync(join(group, 'cgroup.procs'), 'utf8')).map(Number).sort();
        expect(procs).toEqual([l.child.pid!, init, payload].sort());
        expect(await l.ask('fork 10')).toBe('forked 2 EAGAIN\n');
      } finally {
        l.child.stdin!.end();
        await l.exited;
      }
    } finally {
      rmdirSync(group);
    }
  });

  it('shares the kernel\'s per-user budgets between containers of one uid, and not between containers of two', async () => {
    // Why the invoker gives each container a uid of its own (invoker/container/payload-ids.ts):
    // fs.inotify.max_user_instances counts every process of a host uid, whatever its namespaces.
    // Uids above the invoker's range, so that no container of a concurrent test holds any.
    const max = Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8'));
    const [hog, neighbour, other] = [['2000009001'], ['2000009001'], ['2000009002']]
      .map(([uid]) => start(['/probe', 'repl'], ['--uid', uid!]));
    try {
      for (const l of [hog, neighbour, other]) await l!.waitFor('ready\n');
      expect(await hog!.ask('inotify 65536')).toBe(`inotify ${max} EMFILE\n`);
      expect(await neighbour!.ask('inotify 1')).toBe('inotify 0 EMFILE\n');
      expect(await other!.ask('inotify 1')).toBe('inotify 1 ok\n');
    } finally {
      for (const l of [hog, neighbour, other]) l!.child.stdin!.end();
      await Promise.all([hog, neighbour, other].map((l) => l!.exited));
    }
  });

  it('maps the container to an unprivileged host range under --userns, layers showing as its root', async () => {
    const l = start(['/probe', 'repl'], ['--userns=600000', '--info-fd', '3'], 1);
    try {
      const init = await l.infoPid(3);
      await l.waitFor('ready\n');
      const payload = Number(readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim());
      expect(readFileSync(`/proc/${payload}/status`, 'utf8')).toMatch(/^Uid:\s+665534\s+665534\s+665534\s+665534$/m);
      expect(await l.ask('cat /proc/self/uid_map')).toMatch(/^\s*0\s+600000\s+65536\n$/);
      expect(await l.ask('stat /probe')).toBe('0 0 755\n');
      expect(await l.ask('write /tmp/copied-up')).toBe('write ok\n');
      expect(await l.ask('id')).toBe('uid 65534 65534 65534\ngid 65534 65534 65534\ngroups 0\n');
    } finally {
      l.child.stdin!.end();
      await l.exited;
    }
  });

  it('attaches a host directory read-only inside a running container, invisibly to the host', async () => {
    const code = join(dir, 'code');
    mkdirSync(code, { recursive: true });
    writeFileSync(join(code, 'index.js'), 'export default 1;\n');
    chmodSync(code, 0o777);
    const l = start(['/probe', 'repl'], ['--info-fd', '3'], 1);
    try {
      const init = await l.infoPid(3);
      await l.waitFor('ready\n');
      expect(await l.ask('ls /mnt')).toBe('');
      const before = readFileSync('/proc/self/mountinfo', 'utf8');
      const attach = await new Launch(['attach', '--pid', String(init), '--source', code, '--target', '/mnt']).exited;
      expect(attach).toMatchObject({ code: 0, stderr: '' });
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(before);
      expect(await l.ask('cat /mnt/index.js')).toBe('export default 1;\n');
      expect(await l.ask('write /mnt/evil')).toBe('open EROFS\n');
      expect(await l.ask('statfs /mnt')).toMatch(/flags ro nosuid nodev\n$/);
    } finally {
      l.child.stdin!.end();
      await l.exited;
    }
  });
});
