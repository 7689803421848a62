import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, readlinkSync, statfsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { holdFavorDynmods } from '../invoker/cgroups/favor-dynmods.js';
import { requireRoot } from './support/root.js';

/*
 * `tsfn-launcher favor-dynmods` on this (cgroup v1) host, through the module
 * the invoker holds it with. The hierarchy is the kernel's and shared by name:
 * an invoker started meanwhile by another test holds the same one, so "gone"
 * is asserted only while no other holder runs.
 */

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const LINE = /^\d+:name=tsfn-dynmods:\/$/m;

const hierarchyListed = () => LINE.test(readFileSync('/proc/self/cgroup', 'utf8'));
const running = (pid: number) => existsSync(`/proc/${pid}`);

/** Pids of `tsfn-launcher favor-dynmods` processes other than EXCEPT. */
function otherHolders(except?: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!pid || pid === except) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[1] === 'favor-dynmods') pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The holder's fds that are cgroup v1 mounts (the detached hierarchy; no path names them). */
function cgroupMountFds(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return statfsSync(`/proc/${pid}/fd/${fd}`).type === CGROUP_SUPER_MAGIC;
    } catch {
      return false;
    }
  });
}

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Released: the hierarchy goes with its last holder, a few tens of ms later (an RCU-deferred free). */
async function expectReleased(pid: number): Promise<void> {
  await until('the holder is gone', () => !running(pid));
  await until('the hierarchy is gone (or held by another holder)', () => !hierarchyListed() || otherHolders().length > 0);
}

describe('favor-dynmods', () => {
  it('holds a detached favordynmods hierarchy, invisible in the mount table, until released', async () => {
    requireRoot();
    const mountsBefore = readFileSync('/proc/self/mountinfo', 'utf8');
    const held = await holdFavorDynmods(paths.launcher);
    try {
      expect(held.state).toBe('held');
      expect(held.detail).toBeUndefined();
      const pid = held.pid!;
      expect(running(pid)).toBe(true);
      expect(hierarchyListed()).toBe(true);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(mountsBefore);
      const [fd] = cgroupMountFds(pid);
      expect(fd).toBeDefined();
      expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toBe('/');
      expect(readdirSync(`/proc/${pid}/fd/${fd}`)).toContain('cgroup.procs');

      await held.release();
      await expectReleased(pid);
      await held.release();
    } finally {
      await held.release();
    }
  });

  it('is released when the holder is SIGKILLed, and release() is then a no-op', async () => {
    requireRoot();
    const held = await holdFavorDynmods(paths.launcher);
    try {
      expect(held.state).toBe('held');
      expect(hierarchyListed()).toBe(true);
      process.kill(held.pid!, 'SIGKILL');
      await expectReleased(held.pid!);
      await held.release();
    } finally {
      await held.release();
    }
  });

  it('exits 0 on SIGTERM, and a new holder right after the last one gets the hierarchy again', async () => {
    requireRoot();
    const child = spawn(paths.launcher, ['favor-dynmods'], { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
    const [first] = await once(child.stdout!, 'data');
    expect(String(first)).toBe('held\n');
    const exit = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exit).toEqual([0, null]);
    // The old hierarchy is still being freed: the new holder waits for it instead of failing.
    const again = await holdFavorDynmods(paths.launcher);
    try {
      expect(again.state).toBe('held');
      expect(hierarchyListed()).toBe(true);
    } finally {
      await again.release();
    }
    await expectReleased(again.pid!);
  });
});
