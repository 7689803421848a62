import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroups } from './cgroup.js';
import { cgroupCases, LIVE_OWNER } from './cgroup-cases.js';
import { fakeV1Tree, type FakeTree } from './fake-cgroup-tree.js';
import { oomKills } from './v1-cgroup.js';

cgroupCases('v1 (separate hierarchies)', () => fakeV1Tree());
cgroupCases('v1 (cpu,cpuacct combined)', () => fakeV1Tree({ combinedCpu: true }));

describe('v1 files', () => {
  let tree: FakeTree | undefined;
  afterEach(() => tree?.close());
  const read = (dir: string, file: string) => readFileSync(join(dir, file), 'latin1');

  it('writes the CFS quota, memory and memsw limits, swappiness 0 and pids.max', () => {
    tree = fakeV1Tree();
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', { memoryBytes: 64 * 1024 * 1024, cpu: 0.25, pids: 32 });
    tree.populate(cg);
    const [cpu, cpuacct, memory, pids, freezer] = cg.joinPaths as [string, string, string, string, string];
    expect([cpu, cpuacct, memory, pids, freezer].map((d) => d.split('/').slice(-5, -3).join('/')))
      .toEqual(['cgroup/cpu', 'cgroup/cpuacct', 'cgroup/memory', 'cgroup/pids', 'cgroup/freezer']);
    expect(read(cpu, 'cpu.cfs_period_us')).toBe('100000');
    expect(read(cpu, 'cpu.cfs_quota_us')).toBe('25000');
    expect(read(memory, 'memory.limit_in_bytes')).toBe('67108864');
    expect(read(memory, 'memory.memsw.limit_in_bytes')).toBe('67108864');
    expect(read(memory, 'memory.swappiness')).toBe('0');
    expect(read(pids, 'pids.max')).toBe('32');
  });

  it('leaves memsw alone when swap accounting is off', () => {
    tree = fakeV1Tree({ memsw: false });
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', { memoryBytes: 1 << 26, cpu: 1, pids: 8 });
    tree.populate(cg);
    const memory = cg.joinPaths[2]!;
    expect(read(memory, 'memory.limit_in_bytes')).toBe('67108864');
    expect(existsSync(join(memory, 'memory.memsw.limit_in_bytes'))).toBe(false);
  });

  it('puts cpu and cpuacct files in the one directory of a combined mount', () => {
    tree = fakeV1Tree({ combinedCpu: true });
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', { memoryBytes: 1 << 26, cpu: 2, pids: 8 });
    tree.populate(cg);
    expect(cg.joinPaths).toHaveLength(4);
    expect(cg.joinPaths[0]).toMatch(/cgroup\/cpu,cpuacct\/tsfn\//);
    expect(read(cg.joinPaths[0]!, 'cpu.cfs_quota_us')).toBe('200000');
    tree.setCpuUsageUs(cg, 77);
    expect(readFileSync(join(cg.joinPaths[0]!, 'cpuacct.usage'), 'latin1')).toBe('77999\n');
    expect(cg.cpuUsageUs()).toBe(77);
  });

  it('resets the peak by writing 0, freezes with FROZEN and thaws with THAWED', async () => {
    tree = fakeV1Tree();
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', { memoryBytes: 1 << 26, cpu: 1, pids: 8 });
    tree.populate(cg);
    tree.setPeak(cg, 123);
    cg.resetPeak();
    expect(read(cg.joinPaths[2]!, 'memory.max_usage_in_bytes').startsWith('0')).toBe(true);
    await cg.freeze();
    expect(read(cg.joinPaths[4]!, 'freezer.state')).toBe('FROZEN');
    await cg.thaw();
    expect(read(cg.joinPaths[4]!, 'freezer.state')).toBe('THAWED');
  });

  it('counts a process that joined only some hierarchies', () => {
    tree = fakeV1Tree();
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', { memoryBytes: 1 << 26, cpu: 1, pids: 8 });
    tree.populate(cg);
    tree.setProcs(cg.joinPaths[0]!, [10, 11]);
    tree.setProcs(cg.joinPaths[3]!, [11, 12]);
    expect(cg.pids()).toEqual([10, 11, 12]);
  });

  it('leaves no directory behind when a create fails half way', () => {
    tree = fakeV1Tree();
    const manager = detectCgroups(tree.options(LIVE_OWNER));
    const [cpu, cpuacct, memory, pids] = tree.dirsOf(LIVE_OWNER, 'fn') as [string, string, string, string];
    mkdirSync(pids, { recursive: true });
    expect(() => manager.create('fn', { memoryBytes: 1 << 26, cpu: 1, pids: 8 })).toThrow(`mkdir ${pids}: EEXIST`);
    for (const dir of [cpu, cpuacct, memory]) expect(existsSync(dir)).toBe(false);
    rmdirSync(pids);
    expect(manager.create('fn', { memoryBytes: 1 << 26, cpu: 1, pids: 8 }).joinPaths).toContain(pids);
  });

  it('parses oom_kill from memory.oom_control, 0 on kernels before 4.13', () => {
    expect(oomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n')).toBe(3);
    expect(oomKills('oom_kill_disable 0\nunder_oom 1\n')).toBe(0);
  });
});
