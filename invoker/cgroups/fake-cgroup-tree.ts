import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cgroup, CgroupLimits } from './cgroup.js';
import type { DetectOptions } from './detect-cgroups.js';

/**
 * A cgroup filesystem imitated in a temp dir, with a "kernel" loop that plays
 * the kernel's part: it answers freeze requests, honours cgroup.kill and drops
 * exited processes from cgroup.procs. Unit tests only; it signals nothing but
 * pids the test itself put in cgroup.procs.
 */
export interface FakeTree {
  readonly version: 1 | 2;
  readonly dir: string;
  /** Every rmdir the code under test made, in order. */
  readonly removed: string[];
  options(owner: string): DetectOptions;
  /** The directories a cgroup `<owner>/<name>` has (one per hierarchy on v1). */
  dirsOf(owner: string, name: string): string[];
  limitsOf(cg: Cgroup): CgroupLimits;
  setCpuUsageUs(cg: Cgroup, us: number): void;
  setPeak(cg: Cgroup, bytes: number): void;
  peakResets(cg: Cgroup): boolean;
  setCurrent(cg: Cgroup, bytes: number): void;
  setOomKills(cg: Cgroup, n: number): void;
  setProcs(dir: string, pids: readonly number[]): void;
  isFrozen(cg: Cgroup): boolean;
  /** What the kernel does at mkdir: fills a new cgroup with its control files (those not yet written). */
  populate(cg: Cgroup): void;
  /** Freezer transitions the kernel reported, as `frozen <dir>` / `thawed <dir>`. */
  readonly journal: string[];
  /** `stuck`: the kernel no longer answers (freeze never completes, exited pids stay listed). */
  kernel: 'running' | 'stuck';
  close(): void;
}

export interface FakeV1Options { combinedCpu?: boolean; memsw?: boolean }
export interface FakeV2Options { peak?: 'per-fd' | 'sampled'; kill?: boolean; swap?: boolean }

const read = (path: string): string => readFileSync(path, 'latin1');

abstract class FakeBase {
  readonly removed: string[] = [];
  readonly journal: string[] = [];
  kernel: 'running' | 'stuck' = 'running';
  private readonly timer: NodeJS.Timeout;

  constructor(readonly dir: string) {
    this.timer = setInterval(() => {
      if (this.kernel === 'running') for (const leaf of this.cgroupDirs()) this.tick(leaf);
    }, 3);
  }

  protected abstract roots(): string[];
  protected abstract tick(dir: string): void;

  setProcs(dir: string, pids: readonly number[]): void {
    writeFileSync(join(dir, 'cgroup.procs'), pids.map((p) => `${p}\n`).join(''));
  }

  /** Like cgroupfs: control files go with the directory, child cgroups or live processes block it. */
  readonly rmdir = (path: string): void => {
    const entries = readdirSync(path, { withFileTypes: true });
    const procs = join(path, 'cgroup.procs');
    if (entries.some((e) => e.isDirectory()) || (existsSync(procs) && read(procs).trim() !== '')) {
      throw Object.assign(new Error(`EBUSY: rmdir ${path}`), { code: 'EBUSY' });
    }
    for (const e of entries) unlinkSync(join(path, e.name));
    rmdirSync(path);
    this.removed.push(path);
  };

  close(): void {
    clearInterval(this.timer);
    rmSync(this.dir, { recursive: true, force: true });
  }

  protected fill(dir: string, files: Record<string, string>): void {
    for (const [name, content] of Object.entries(files)) {
      try {
        writeFileSync(join(dir, name), content, { flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  protected dropExited(dir: string): void {
    const procs = join(dir, 'cgroup.procs');
    if (!existsSync(procs)) return;
    const pids = read(procs).split('\n').filter(Boolean).map(Number);
    const alive = pids.filter(isAlive);
    if (alive.length !== pids.length) this.setProcs(dir, alive);
  }

  private readonly frozenDirs = new Set<string>();

  protected note(dir: string, frozen: boolean): void {
    if (frozen === this.frozenDirs.has(dir)) return;
    if (frozen) this.frozenDirs.add(dir);
    else this.frozenDirs.delete(dir);
    this.journal.push(`${frozen ? 'frozen' : 'thawed'} ${dir}`);
  }

  private cgroupDirs(): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
      out.push(d);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    };
    for (const root of this.roots()) {
      const tsfn = join(root, 'tsfn');
      if (existsSync(tsfn)) walk(tsfn);
    }
    return out;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

class FakeV1 extends FakeBase implements FakeTree {
  readonly version = 1;
  private readonly mounts: Record<'cpu' | 'cpuacct' | 'memory' | 'pids' | 'freezer', string>;

  constructor(opts: FakeV1Options) {
    super(mkdtempSync(join(tmpdir(), 'tsfn-fake-v1-')));
    const cpu = join(this.dir, 'cgroup', opts.combinedCpu ? 'cpu,cpuacct' : 'cpu');
    this.mounts = {
      cpu,
      cpuacct: opts.combinedCpu ? cpu : join(this.dir, 'cgroup', 'cpuacct'),
      memory: join(this.dir, 'cgroup', 'memory'),
      pids: join(this.dir, 'cgroup', 'pids'),
      freezer: join(this.dir, 'cgroup', 'freezer'),
    };
    const lines = [`22 1 0:20 / ${join(this.dir, 'cgroup')} rw - tmpfs tmpfs rw,mode=755`];
    let id = 30;
    const mount = (path: string, opts: string, fs = 'cgroup') => {
      mkdirSync(path, { recursive: true });
      lines.push(`${id++} 22 0:${id} / ${path} rw,nosuid,nodev,noexec,relatime shared:${id} - ${fs} ${fs} ${opts}`);
    };
    if (opts.combinedCpu) mount(cpu, 'rw,cpu,cpuacct');
    else {
      mount(this.mounts.cpu, 'rw,cpu');
      mount(this.mounts.cpuacct, 'rw,cpuacct');
    }
    mount(this.mounts.memory, 'rw,memory');
    mount(this.mounts.pids, 'rw,pids');
    mount(this.mounts.freezer, 'rw,freezer');
    mount(join(this.dir, 'cgroup', 'systemd'), 'rw,xattr,name=systemd');
    mount(join(this.dir, 'cgroup', 'unified'), 'rw,nsdelegate', 'cgroup2');
    writeFileSync(join(this.dir, 'cgroup', 'unified', 'cgroup.controllers'), '');
    if (opts.memsw ?? true) writeFileSync(join(this.mounts.memory, 'memory.memsw.limit_in_bytes'), '9223372036854771712\n');
    writeFileSync(join(this.dir, 'mountinfo'), `${lines.join('\n')}\n`);
  }

  options(owner: string): DetectOptions {
    return { owner, root: join(this.dir, 'cgroup'), mountinfo: join(this.dir, 'mountinfo'), rmdir: this.rmdir, timeoutMs: 400 };
  }

  dirsOf(owner: string, name: string): string[] {
    return [...new Set(Object.values(this.mounts))].map((m) => join(m, 'tsfn', owner, name));
  }

  limitsOf(cg: Cgroup): CgroupLimits {
    const [cpu, memory, pids] = [this.at(cg, 'cpu'), this.at(cg, 'memory'), this.at(cg, 'pids')];
    return {
      cpu: Number(read(join(cpu, 'cpu.cfs_quota_us'))) / Number(read(join(cpu, 'cpu.cfs_period_us'))),
      memoryBytes: Number(read(join(memory, 'memory.limit_in_bytes'))),
      pids: Number(read(join(pids, 'pids.max'))),
    };
  }

  setCpuUsageUs(cg: Cgroup, us: number): void {
    writeFileSync(join(this.at(cg, 'cpuacct'), 'cpuacct.usage'), `${us * 1000 + 999}\n`);
  }

  setPeak(cg: Cgroup, bytes: number): void {
    writeFileSync(join(this.at(cg, 'memory'), 'memory.max_usage_in_bytes'), `${bytes}\n`);
  }

  peakResets(cg: Cgroup): boolean {
    return read(join(this.at(cg, 'memory'), 'memory.max_usage_in_bytes')).startsWith('0');
  }

  setCurrent(cg: Cgroup, bytes: number): void {
    writeFileSync(join(this.at(cg, 'memory'), 'memory.usage_in_bytes'), `${bytes}\n`);
  }

  setOomKills(cg: Cgroup, n: number): void {
    writeFileSync(join(this.at(cg, 'memory'), 'memory.oom_control'), `oom_kill_disable 0\nunder_oom 0\noom_kill ${n}\n`);
  }

  isFrozen(cg: Cgroup): boolean {
    return read(join(this.at(cg, 'freezer'), 'freezer.state')).trim() === 'FROZEN';
  }

  populate(cg: Cgroup): void {
    for (const dir of cg.joinPaths) this.fill(dir, { 'cgroup.procs': '' });
    this.fill(this.at(cg, 'cpuacct'), { 'cpuacct.usage': '0\n' });
    this.fill(this.at(cg, 'memory'), {
      'memory.max_usage_in_bytes': '0\n',
      'memory.usage_in_bytes': '0\n',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
    });
    this.fill(this.at(cg, 'freezer'), { 'freezer.state': 'THAWED\n' });
  }

  protected roots(): string[] {
    return [...new Set(Object.values(this.mounts))];
  }

  /** A frozen task cannot exit, so exited pids leave only when thawed. */
  protected tick(dir: string): void {
    const state = join(dir, 'freezer.state');
    const frozen = existsSync(state) && read(state).trim() === 'FROZEN';
    this.note(dir, frozen);
    if (!frozen) this.dropExited(dir);
  }

  private at(cg: Cgroup, controller: keyof FakeV1['mounts']): string {
    const dir = cg.joinPaths.find((p) => p.startsWith(`${this.mounts[controller]}/`));
    if (!dir) throw new Error(`fake v1: ${cg.name} has no ${controller} dir`);
    return dir;
  }
}

class FakeV2 extends FakeBase implements FakeTree {
  readonly version = 2;
  private readonly root: string;
  private readonly peak: FakeV2Options['peak'];

  constructor(opts: FakeV2Options) {
    super(mkdtempSync(join(tmpdir(), 'tsfn-fake-v2-')));
    this.root = join(this.dir, 'cgroup');
    const tsfn = join(this.root, 'tsfn');
    mkdirSync(tsfn, { recursive: true });
    writeFileSync(join(this.root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    this.peak = opts.peak ?? 'per-fd';
    if (this.peak === 'per-fd') writeFileSync(join(tsfn, 'memory.peak'), '0\n');
    if (opts.kill ?? true) writeFileSync(join(tsfn, 'cgroup.kill'), '');
    if (opts.swap ?? true) writeFileSync(join(tsfn, 'memory.swap.max'), 'max\n');
  }

  options(owner: string): DetectOptions {
    return { owner, root: this.root, rmdir: this.rmdir, timeoutMs: 400 };
  }

  dirsOf(owner: string, name: string): string[] {
    return [join(this.root, 'tsfn', owner, name)];
  }

  limitsOf(cg: Cgroup): CgroupLimits {
    const [quota, period] = read(this.file(cg, 'cpu.max')).split(' ').map(Number) as [number, number];
    return { cpu: quota / period, memoryBytes: Number(read(this.file(cg, 'memory.max'))), pids: Number(read(this.file(cg, 'pids.max'))) };
  }

  setCpuUsageUs(cg: Cgroup, us: number): void {
    writeFileSync(this.file(cg, 'cpu.stat'), `usage_usec ${us}\nuser_usec ${us - 7}\nsystem_usec 7\nnr_periods 12\nnr_throttled 3\nthrottled_usec 4500\nnr_bursts 0\nburst_usec 0\n`);
  }

  setPeak(cg: Cgroup, bytes: number): void {
    writeFileSync(this.file(cg, 'memory.peak'), `${bytes}\n`);
  }

  peakResets(cg: Cgroup): boolean {
    return read(this.file(cg, 'memory.peak')).startsWith('reset');
  }

  setCurrent(cg: Cgroup, bytes: number): void {
    writeFileSync(this.file(cg, 'memory.current'), `${bytes}\n`);
  }

  setOomKills(cg: Cgroup, n: number): void {
    writeFileSync(this.file(cg, 'memory.events'), `low 0\nhigh 0\nmax 5\noom ${n}\noom_kill ${n}\noom_group_kill ${n ? 1 : 0}\n`);
  }

  isFrozen(cg: Cgroup): boolean {
    return read(this.file(cg, 'cgroup.events')).includes('frozen 1');
  }

  populate(cg: Cgroup): void {
    this.fill(cg.joinPaths[0]!, {
      'cgroup.procs': '',
      'cgroup.events': 'populated 0\nfrozen 0\n',
      'cgroup.freeze': '0\n',
      'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
      'memory.current': '0\n',
      'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
      ...(this.peak === 'per-fd' ? { 'memory.peak': '0\n' } : {}),
    });
  }

  protected roots(): string[] {
    return [this.root];
  }

  protected tick(dir: string): void {
    const kill = join(dir, 'cgroup.kill');
    const procs = join(dir, 'cgroup.procs');
    if (existsSync(kill) && statSync(kill).size > 0 && existsSync(procs)) {
      for (const pid of read(procs).split('\n').filter(Boolean).map(Number)) process.kill(pid, 'SIGKILL');
      writeFileSync(kill, '');
    }
    const freeze = join(dir, 'cgroup.freeze');
    const frozen = existsSync(freeze) && read(freeze).trim() === '1';
    const populated = existsSync(procs) && read(procs).trim() !== '';
    writeFileSync(join(dir, 'cgroup.events'), `populated ${populated ? 1 : 0}\nfrozen ${frozen ? 1 : 0}\n`);
    this.note(dir, frozen);
    if (!frozen) this.dropExited(dir);
  }

  private file(cg: Cgroup, name: string): string {
    return join(cg.joinPaths[0]!, name);
  }
}

export function fakeV1Tree(opts: FakeV1Options = {}): FakeTree {
  return new FakeV1(opts);
}

export function fakeV2Tree(opts: FakeV2Options = {}): FakeTree {
  return new FakeV2(opts);
}
