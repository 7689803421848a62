import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroups } from './cgroup.js';
import { cgroupCases, exited, LIVE_OWNER, spawnSleep } from './cgroup-cases.js';
import { keyedValue } from './cgroup-files.js';
import { fakeV2Tree, type FakeTree } from './fake-cgroup-tree.js';

// No host here offers v2 controllers (this one is hybrid, with an empty
// /sys/fs/cgroup/unified), so v2 runs against a fake tree only.
cgroupCases('v2 (cgroup.kill, per-fd memory.peak)', () => fakeV2Tree());
cgroupCases('v2 (no cgroup.kill: freeze and signal)', () => fakeV2Tree({ kill: false }));

const LIMITS = { memoryBytes: 64 * 1024 * 1024, cpu: 0.25, pids: 32 };

describe('v2 files', () => {
  let tree: FakeTree | undefined;
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    tree?.close();
  });
  const read = (path: string) => readFileSync(path, 'latin1');

  it('delegates cpu, memory and pids down to the owner dir and writes the limits', () => {
    tree = fakeV2Tree();
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', LIMITS);
    tree.populate(cg);
    const dir = cg.joinPaths[0]!;
    const root = join(dir, '..', '..', '..');
    for (const parent of [root, join(root, 'tsfn'), join(root, 'tsfn', LIVE_OWNER)]) {
      expect(read(join(parent, 'cgroup.subtree_control'))).toBe('+cpu +memory +pids');
    }
    expect(existsSync(join(dir, 'cgroup.subtree_control'))).toBe(false);
    expect(read(join(dir, 'cpu.max'))).toBe('25000 100000');
    expect(read(join(dir, 'memory.max'))).toBe('67108864');
    expect(read(join(dir, 'memory.swap.max'))).toBe('0');
    expect(read(join(dir, 'memory.oom.group'))).toBe('1');
    expect(read(join(dir, 'pids.max'))).toBe('32');
  });

  it('leaves memory.swap.max alone when swap accounting is off', () => {
    tree = fakeV2Tree({ swap: false });
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', LIMITS);
    tree.populate(cg);
    expect(existsSync(join(cg.joinPaths[0]!, 'memory.swap.max'))).toBe(false);
  });

  it('parses usage_usec out of a full cpu.stat and oom_kill out of memory.events', () => {
    tree = fakeV2Tree();
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', LIMITS);
    tree.populate(cg);
    tree.setCpuUsageUs(cg, 987_654);
    tree.setOomKills(cg, 4);
    tree.setPeak(cg, 1);
    tree.setCurrent(cg, 1);
    expect(cg.usage()).toMatchObject({ cpuUs: 987_654, oomKills: 4 });
    expect(keyedValue('oom 2\noom_kill 1\noom_group_kill 1\n', 'oom_kill')).toBe(1);
    writeFileSync(join(cg.joinPaths[0]!, 'cpu.stat'), 'user_usec 5\n');
    expect(() => cg.cpuUsageUs()).toThrow(/cpu\.stat: no "usage_usec" line/);
  });

  it('resets the peak through its own memory.peak fd and reads it back through the same fd', () => {
    tree = fakeV2Tree();
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', LIMITS);
    tree.populate(cg);
    const peak = join(cg.joinPaths[0]!, 'memory.peak');
    writeFileSync(peak, '50000000\n');
    cg.resetPeak();
    expect(read(peak)).toBe('reset\n00\n');
    writeFileSync(peak, '1234\n');
    expect(cg.memoryPeakBytes()).toBe(1234);
  });

  it('falls back to the highest memory.current seen when memory.peak is absent', () => {
    tree = fakeV2Tree({ peak: 'sampled' });
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', LIMITS);
    tree.populate(cg);
    tree.setCurrent(cg, 30_000_000);
    expect(cg.memoryPeakBytes()).toBe(30_000_000);
    tree.setCurrent(cg, 10_000_000);
    expect(cg.memoryPeakBytes()).toBe(30_000_000);
    cg.resetPeak();
    expect(cg.memoryPeakBytes()).toBe(10_000_000);
    expect(existsSync(join(cg.joinPaths[0]!, 'memory.peak'))).toBe(false);
  });

  it('waits for "frozen 1" in cgroup.events, and names that file when it never comes', async () => {
    tree = fakeV2Tree();
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', LIMITS);
    tree.populate(cg);
    const events = join(cg.joinPaths[0]!, 'cgroup.events');
    await cg.freeze();
    expect(read(join(cg.joinPaths[0]!, 'cgroup.freeze'))).toBe('1');
    expect(read(events)).toContain('frozen 1');
    await cg.thaw();
    expect(read(events)).toContain('frozen 0');
    tree.kernel = 'stuck';
    await expect(cg.freeze()).rejects.toThrow(`${events} still lacks "frozen 1" after 400 ms`);
  });

  it('kills through cgroup.kill, sending no signal itself', async () => {
    tree = fakeV2Tree();
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', LIMITS);
    tree.populate(cg);
    const child = await spawnSleep(children);
    tree.setProcs(cg.joinPaths[0]!, [child.pid!]);
    tree.kernel = 'stuck';
    const killing = cg.kill();
    await new Promise((r) => setTimeout(r, 50));
    expect(read(join(cg.joinPaths[0]!, 'cgroup.kill'))).toBe('1');
    expect(child.exitCode === null && child.signalCode === null).toBe(true);
    tree.kernel = 'running';
    await killing;
    expect(await exited(child)).toBe('SIGKILL');
  });

  it('without cgroup.kill, freezes before signalling and thaws after', async () => {
    tree = fakeV2Tree({ kill: false });
    const cg = detectCgroups(tree.options(LIVE_OWNER)).create('fn', LIMITS);
    tree.populate(cg);
    const child = await spawnSleep(children);
    tree.setProcs(cg.joinPaths[0]!, [child.pid!]);
    await cg.kill();
    expect(await exited(child)).toBe('SIGKILL');
    expect(tree.journal).toEqual([`frozen ${cg.joinPaths[0]}`, `thawed ${cg.joinPaths[0]}`]);
    expect(read(join(cg.joinPaths[0]!, 'cgroup.freeze'))).toBe('0');
    expect(existsSync(join(cg.joinPaths[0]!, 'cgroup.kill'))).toBe(false);
  });
});
