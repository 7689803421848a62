import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroups, newOwnerId, type Cgroup, type CgroupLimits, type CgroupManager } from '../invoker/cgroups/cgroup.js';

/**
 * The v1 implementation against this host's real cgroups (v2 is covered by the
 * fake trees in invoker/cgroups, since this host offers no v2 controllers).
 * Processes are moved in by writing their pid to each joinPath's cgroup.procs,
 * as the launcher does.
 */
const MiB = 1024 * 1024;
const LIMITS: CgroupLimits = { memoryBytes: 256 * MiB, cpu: 1, pids: 64 };
/** Children start with a clean environment: NODE_EXTRA_CA_CERTS alone slows node's start. */
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('cgroups on this host (v1, root)', () => {
  let manager: CgroupManager;
  const others: CgroupManager[] = [];
  const children: ChildProcess[] = [];

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error('test/cgroups.test.ts must run as root: it creates cgroups under /sys/fs/cgroup');
    manager = detectCgroups({ owner: newOwnerId('test') });
  });

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await manager?.destroyAll();
    for (const other of others.splice(0)) await other.destroyAll();
  });

  afterAll(async () => {
    await manager?.destroyAll();
  });

  function start(command: string, args: string[]): ChildProcess {
    const child = spawn(command, args, { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  }

  async function startIn(cg: Cgroup, command: string, args: string[]): Promise<ChildProcess> {
    const child = start(command, args);
    await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    for (const dir of cg.joinPaths) writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
    return child;
  }

  const node = (cg: Cgroup, script: string) => startIn(cg, process.execPath, ['-e', script]);
  const busyLoop = (cg: Cgroup) => node(cg, 'for (;;) {}');

  function line(child: ChildProcess, pattern: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const match = pattern.exec(out);
        if (match) {
          child.stdout!.off('data', onData);
          resolve(match[0]);
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', () => reject(new Error(`exited before printing ${pattern}: ${out}`)));
    });
  }

  function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
    return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  }

  /** Whether `value()` passes `over` within 10 s: CPU accrues slower when the host is busy. */
  async function grows(value: () => number, over: number): Promise<boolean> {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(20)) if (value() > over) return true;
    return false;
  }

  const read = (dir: string, file: string) => readFileSync(join(dir, file), 'latin1').trim();
  const dirOf = (cg: Cgroup, hierarchy: string) => cg.joinPaths.find((p) => p.startsWith(`/sys/fs/cgroup/${hierarchy}/`))!;

  it('is v1 here, and the kernel reads back the limits it set', () => {
    expect(manager.version).toBe(1);
    const cg = manager.create('limits', { memoryBytes: 64 * MiB, cpu: 0.25, pids: 16 });
    expect(cg.joinPaths.map((p) => p.split('/')[4])).toEqual(['cpu', 'cpuacct', 'memory', 'pids', 'freezer']);
    expect(read(dirOf(cg, 'cpu'), 'cpu.cfs_period_us')).toBe('100000');
    expect(read(dirOf(cg, 'cpu'), 'cpu.cfs_quota_us')).toBe('25000');
    expect(read(dirOf(cg, 'memory'), 'memory.limit_in_bytes')).toBe(String(64 * MiB));
    expect(read(dirOf(cg, 'memory'), 'memory.memsw.limit_in_bytes')).toBe(String(64 * MiB));
    expect(read(dirOf(cg, 'memory'), 'memory.swappiness')).toBe('0');
    expect(read(dirOf(cg, 'pids'), 'pids.max')).toBe('16');
    cg.setLimits({ memoryBytes: 512 * MiB, cpu: 1.5, pids: 100 });
    expect(read(dirOf(cg, 'cpu'), 'cpu.cfs_quota_us')).toBe('150000');
    expect(read(dirOf(cg, 'memory'), 'memory.limit_in_bytes')).toBe(String(512 * MiB));
    expect(read(dirOf(cg, 'memory'), 'memory.memsw.limit_in_bytes')).toBe(String(512 * MiB));
    expect(read(dirOf(cg, 'pids'), 'pids.max')).toBe('100');
  });

  it('counts the CPU time of a process moved in', async () => {
    const cg = manager.create('cpu-time', LIMITS);
    const before = cg.cpuUsageUs();
    const child = await busyLoop(cg);
    expect(cg.pids()).toEqual([child.pid]);
    await expect(grows(() => cg.cpuUsageUs() - before, 100_000)).resolves.toBe(true);
  });

  it('sees a 64 MiB allocation in the peak, and resetPeak lowers it once it is freed', async () => {
    const cg = manager.create('peak', LIMITS);
    const child = await node(cg, `process.stdin.once('data', () => {
      const b = Buffer.alloc(${64 * MiB}, 1);
      process.stdout.write('filled ' + b.length + '\\n');
      setInterval(() => b[0]++, 1000);
    });`);
    child.stdin!.write('go\n');
    await line(child, /filled \d+/);
    const peak = cg.memoryPeakBytes();
    expect(peak).toBeGreaterThanOrEqual(64 * MiB);
    expect(cg.usage().memoryCurrentBytes).toBeGreaterThanOrEqual(64 * MiB);
    child.kill('SIGKILL');
    await exited(child);
    cg.resetPeak();
    expect(cg.memoryPeakBytes()).toBeLessThan(16 * MiB);
  });

  it('holds a busy loop to 0.25 CPU ± 10% over 3 s under cpu 0.25', async () => {
    const cg = manager.create('quota', { ...LIMITS, cpu: 0.25 });
    await busyLoop(cg);
    await sleep(200);
    const u0 = cg.cpuUsageUs();
    const t0 = performance.now();
    await sleep(3000);
    const used = (cg.cpuUsageUs() - u0) / ((performance.now() - t0) * 1000);
    expect(used).toBeGreaterThanOrEqual(0.225);
    expect(used).toBeLessThanOrEqual(0.275);
  });

  it('OOM-kills a process allocating past memoryBytes and counts it', async () => {
    const cg = manager.create('oom', { ...LIMITS, memoryBytes: 64 * MiB });
    expect(cg.usage().oomKills).toBe(0);
    const child = await node(cg, `process.stdin.once('data', () => {
      const held = [];
      for (;;) held.push(Buffer.alloc(${8 * MiB}, 1));
    });`);
    child.stdin!.write('go\n');
    expect(await exited(child)).toBe('SIGKILL');
    expect(cg.usage().oomKills).toBe(1);
    expect(cg.memoryPeakBytes()).toBeLessThanOrEqual(64 * MiB);
  });

  it('stops forks at pids.max', async () => {
    const cg = manager.create('pids', { ...LIMITS, pids: 4 });
    const child = await startIn(cg, 'sh', ['-c', 'read x; for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; wait']);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin!.write('go\n');
    expect(await exit).not.toBe(0);
    expect(stderr).toMatch(/fork/i);
    // The shell and three sleeps filled the four slots; the shell gave up at the fourth sleep.
    expect(cg.pids()).toHaveLength(3);
    expect(read(dirOf(cg, 'pids'), 'pids.events')).toMatch(/^max [1-9]/);
    await cg.kill();
    expect(cg.pids()).toEqual([]);
  });

  it('stops CPU accrual while frozen and resumes it when thawed', async () => {
    const cg = manager.create('freeze', LIMITS);
    await busyLoop(cg);
    await sleep(100);
    await cg.freeze();
    expect(read(dirOf(cg, 'freezer'), 'freezer.state')).toBe('FROZEN');
    const frozenAt = cg.cpuUsageUs();
    await sleep(500);
    expect(cg.cpuUsageUs() - frozenAt).toBeLessThan(5_000);
    await cg.thaw();
    const thawedAt = cg.cpuUsageUs();
    await expect(grows(() => cg.cpuUsageUs() - thawedAt, 100_000)).resolves.toBe(true);
  });

  it('kills everything inside, forking shells included, and destroy removes every directory', async () => {
    const cg = manager.create('kill', LIMITS);
    const kids = [
      await startIn(cg, 'sleep', ['60']),
      await startIn(cg, 'sh', ['-c', 'while :; do sleep 0.01; done']),
      await busyLoop(cg),
    ];
    await sleep(100);
    expect(cg.pids().length).toBeGreaterThanOrEqual(3);
    await cg.kill();
    expect(cg.pids()).toEqual([]);
    for (const kid of kids) expect(await exited(kid)).toBe('SIGKILL');
    await startIn(cg, 'sleep', ['60']);
    await cg.destroy();
    for (const dir of cg.joinPaths) expect(existsSync(dir)).toBe(false);
    await cg.destroy();
  });

  it('reaps the tree of a dead owner, killing what runs there, and leaves a live owner alone', async () => {
    const deadOwner = `test-999999999-${newOwnerId('test').split('-')[2]}`;
    const dead = detectCgroups({ owner: deadOwner });
    others.push(dead);
    const leftover = dead.create('left', LIMITS);
    const stray = await startIn(leftover, 'sleep', ['60']);
    const neighbour = detectCgroups({ owner: newOwnerId('test') });
    others.push(neighbour);
    const alive = neighbour.create('alive', LIMITS);
    const mine = manager.create('mine', LIMITS);

    const removed = await manager.reapLeftovers();

    const deadDirs = leftover.joinPaths.map((p) => join(p, '..'));
    expect(removed).toEqual(expect.arrayContaining(deadDirs));
    for (const dir of deadDirs) expect(existsSync(dir)).toBe(false);
    expect(await exited(stray)).toBe('SIGKILL');
    for (const dir of [...alive.joinPaths, ...mine.joinPaths]) expect(existsSync(dir)).toBe(true);
    for (const dir of tsfnParents(mine)) expect(existsSync(dir)).toBe(true);
  });

  /** The shared `tsfn` parents, which reaping must leave. */
  function tsfnParents(cg: Cgroup): string[] {
    return cg.joinPaths.map((p) => join(p, '..', '..'));
  }
});
