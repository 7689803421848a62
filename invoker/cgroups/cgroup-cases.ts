import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectCgroups, type Cgroup, type CgroupManager } from './cgroup.js';
import type { FakeTree } from './fake-cgroup-tree.js';

const LIMITS = { memoryBytes: 128 * 1024 * 1024, cpu: 0.25, pids: 64 };
export const LIVE_OWNER = `test-${process.pid}-cases`;
/** No Linux pid exceeds 2^22, so this owner is dead on every host. */
export const DEAD_OWNER = 'test-999999999-gone';

/** A child the test owns, so signals sent to it by the code under test hit nothing else. */
export async function spawnSleep(children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}

export function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

/** The behaviour every implementation shares, run against a fake tree of each version. */
export function cgroupCases(label: string, makeTree: () => FakeTree): void {
  describe(`${label}: shared cases`, () => {
    let tree: FakeTree;
    let manager: CgroupManager;
    const children: ChildProcess[] = [];

    /** create(), then what the kernel does at mkdir. */
    const make = (name: string, on: CgroupManager = manager): Cgroup => {
      const cg = on.create(name, LIMITS);
      tree.populate(cg);
      return cg;
    };

    beforeEach(() => {
      tree = makeTree();
      manager = detectCgroups(tree.options(LIVE_OWNER));
    });

    afterEach(() => {
      for (const child of children.splice(0)) child.kill('SIGKILL');
      tree.close();
    });

    it('detects the version of the tree', () => {
      expect(manager.version).toBe(tree.version);
    });

    it('creates <root>/tsfn/<owner>/<name> in each hierarchy and joins there', () => {
      const cg = make('fn-a');
      expect(cg.name).toBe('fn-a');
      expect(cg.joinPaths).toEqual(tree.dirsOf(LIVE_OWNER, 'fn-a'));
      for (const dir of cg.joinPaths) expect(existsSync(dir)).toBe(true);
    });

    it('writes limits the kernel reads back, and rewrites them', () => {
      const cg = make('fn-a');
      expect(tree.limitsOf(cg)).toEqual(LIMITS);
      const next = { memoryBytes: 256 * 1024 * 1024, cpu: 1.5, pids: 10 };
      cg.setLimits(next);
      expect(tree.limitsOf(cg)).toEqual(next);
    });

    it('refuses bad names, bad limits and duplicates before touching the tree', () => {
      expect(() => manager.create('../escape', LIMITS)).toThrow(/must match/);
      expect(() => manager.create('fn-a', { ...LIMITS, cpu: 0.001 })).toThrow(/cpu must be at least 0.01/);
      expect(() => manager.create('fn-a', { ...LIMITS, memoryBytes: 0 })).toThrow(/memoryBytes/);
      expect(() => manager.create('fn-a', { ...LIMITS, pids: 1.5 })).toThrow(/pids/);
      for (const dir of tree.dirsOf(LIVE_OWNER, 'fn-a')) expect(existsSync(dir)).toBe(false);
      manager.create('fn-a', LIMITS);
      expect(() => manager.create('fn-a', LIMITS)).toThrow(/already exists/);
    });

    it('reads cumulative CPU time in microseconds, fresh on every call', () => {
      const cg = make('fn-a');
      tree.setCpuUsageUs(cg, 1_234_567);
      expect(cg.cpuUsageUs()).toBe(1_234_567);
      tree.setCpuUsageUs(cg, 2_000_001);
      expect(cg.cpuUsageUs()).toBe(2_000_001);
    });

    it('reads peak memory and asks the kernel to reset it', () => {
      const cg = make('fn-a');
      tree.setCurrent(cg, 40_000_000);
      tree.setPeak(cg, 90_000_000);
      expect(cg.memoryPeakBytes()).toBe(90_000_000);
      cg.resetPeak();
      expect(tree.peakResets(cg)).toBe(true);
      tree.setPeak(cg, 41_000_000);
      expect(cg.memoryPeakBytes()).toBe(41_000_000);
    });

    it('gathers usage: cpu, peak, current memory and OOM kills', () => {
      const cg = make('fn-a');
      tree.setCpuUsageUs(cg, 5000);
      tree.setPeak(cg, 3_000_000);
      tree.setCurrent(cg, 2_000_000);
      tree.setOomKills(cg, 2);
      expect(cg.usage()).toEqual({ cpuUs: 5000, memoryPeakBytes: 3_000_000, memoryCurrentBytes: 2_000_000, oomKills: 2 });
    });

    it('lists the processes inside', () => {
      const cg = make('fn-a');
      expect(cg.pids()).toEqual([]);
      for (const dir of cg.joinPaths) tree.setProcs(dir, [41, 7]);
      expect(cg.pids().sort((a, b) => a - b)).toEqual([7, 41]);
    });

    it('freezes and thaws, resolving once the kernel reports the state', async () => {
      const cg = make('fn-a');
      await cg.freeze();
      expect(tree.isFrozen(cg)).toBe(true);
      await cg.thaw();
      expect(tree.isFrozen(cg)).toBe(false);
    });

    it('kills every process inside and resolves once it is empty', async () => {
      const cg = make('fn-a');
      const a = await spawnSleep(children);
      const b = await spawnSleep(children);
      for (const dir of cg.joinPaths) tree.setProcs(dir, [a.pid!, b.pid!]);
      await cg.kill();
      expect(cg.pids()).toEqual([]);
      expect(await exited(a)).toBe('SIGKILL');
      expect(await exited(b)).toBe('SIGKILL');
      expect(tree.isFrozen(cg)).toBe(false);
    });

    it('gives up on a cgroup that never empties, naming what is left', async () => {
      const cg = make('fn-a');
      const a = await spawnSleep(children);
      for (const dir of cg.joinPaths) tree.setProcs(dir, [a.pid!]);
      tree.kernel = 'stuck';
      await expect(cg.kill()).rejects.toThrow(new RegExp(`processes ${a.pid} still inside .*fn-a after 400 ms`));
    });

    it('destroys: kills, removes every directory, is idempotent, and is forgotten by destroyAll', async () => {
      const cg = make('fn-a');
      const a = await spawnSleep(children);
      for (const dir of cg.joinPaths) tree.setProcs(dir, [a.pid!]);
      await cg.destroy();
      expect(await exited(a)).toBe('SIGKILL');
      for (const dir of cg.joinPaths) expect(existsSync(dir)).toBe(false);
      await cg.destroy();
      await manager.destroyAll();
      expect(tree.removed.filter((d) => d.endsWith('/fn-a'))).toHaveLength(cg.joinPaths.length);
    });

    it('destroyAll removes every cgroup of the owner and the owner directory, not tsfn', async () => {
      const a = make('fn-a');
      const b = make('fn-b');
      await manager.destroyAll();
      for (const dir of [...a.joinPaths, ...b.joinPaths]) {
        expect(existsSync(dir)).toBe(false);
        expect(existsSync(join(dir, '..'))).toBe(false);
        expect(existsSync(join(dir, '..', '..'))).toBe(true);
      }
      const again = make('fn-a');
      expect(existsSync(again.joinPaths[0]!)).toBe(true);
    });

    it('reaps dead owners only, bottom-up, killing what runs there', async () => {
      const dead = detectCgroups(tree.options(DEAD_OWNER));
      const leftover = make('fn-old', dead);
      const nested = join(leftover.joinPaths[0]!, 'inner');
      mkdirSync(nested);
      const stray = await spawnSleep(children);
      for (const dir of leftover.joinPaths) tree.setProcs(dir, [stray.pid!]);
      const neighbour = make('fn-n', detectCgroups(tree.options(`test-${process.pid}-neighbour`)));
      const mine = make('fn-mine');
      const foreign = join(leftover.joinPaths[0]!, '..', '..', 'system.slice');
      mkdirSync(foreign);

      expect(await dead.reapLeftovers()).toEqual([]);
      const removed = await manager.reapLeftovers();

      const deadDirs = leftover.joinPaths.map((d) => join(d, '..'));
      expect(removed.sort()).toEqual([...deadDirs].sort());
      expect(await exited(stray)).toBe('SIGKILL');
      for (const dir of [nested, ...leftover.joinPaths, ...deadDirs]) expect(existsSync(dir)).toBe(false);
      expect(tree.removed.indexOf(nested)).toBeLessThan(tree.removed.indexOf(leftover.joinPaths[0]!));
      expect(tree.removed.indexOf(leftover.joinPaths[0]!)).toBeLessThan(tree.removed.indexOf(deadDirs[0]!));
      for (const dir of [...neighbour.joinPaths, ...mine.joinPaths, foreign]) expect(existsSync(dir)).toBe(true);
      expect(await manager.reapLeftovers()).toEqual([]);
    });
  });
}
