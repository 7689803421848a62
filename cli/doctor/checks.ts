import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Config } from '../../core/config.js';
import { paths } from '../../core/paths.js';
import { detectCgroups, newOwnerId } from '../../invoker/cgroups/cgroup.js';
import { findBinary, PG_DIRS } from '../../infra/services/find-binary.js';

export interface Check {
  name: string;
  /** undefined when it passed; otherwise what is wrong. */
  problem?: string;
  fix?: string;
}

type Probe = () => Promise<Omit<Check, 'name'> | undefined> | Omit<Check, 'name'> | undefined;

/** What `tsfn doctor` checks, in order; each failure carries its fix. */
export function hostChecks(config: Config): [string, Probe][] {
  return [
    ['running as root', () => process.getuid?.() === 0 ? undefined
      : { problem: 'not root: the invoker needs CAP_SYS_ADMIN and friends for namespaces, mounts and cgroups', fix: 'run tsfn up / tsfn run as root (sudo)' }],
    ['Linux kernel >= 5.12 (open_tree, move_mount, mount_setattr)', () => {
      const [maj = 0, min = 0] = release().split('.').map(Number);
      return maj > 5 || (maj === 5 && min >= 12) ? undefined
        : { problem: `kernel ${release()} lacks the new mount API used for prewarmed containers`, fix: 'upgrade the kernel to 5.12 or later' };
    }],
    ['namespaces (pid, mnt, uts, ipc, net, cgroup)', () => {
      const missing = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'].filter((n) => !existsSync(`/proc/self/ns/${n}`));
      return missing.length ? { problem: `missing: ${missing.join(', ')}`, fix: 'use a kernel built with CONFIG_*_NS' } : undefined;
    }],
    ['overlayfs', () => readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n') ? undefined
      : { problem: 'overlay is not in /proc/filesystems', fix: 'modprobe overlay' }],
    ['seccomp filters', () => /^Seccomp:\s/m.test(readFileSync('/proc/self/status', 'utf8')) ? undefined
      : { problem: 'the kernel has no seccomp', fix: 'use a kernel built with CONFIG_SECCOMP_FILTER' }],
    ['cgroups (v2: cpu, memory, pids; v1: cpu, cpuacct, memory, pids, freezer)', () => {
      try {
        detectCgroups({ owner: newOwnerId('inv') });
        return undefined;
      } catch (err) {
        return { problem: (err as Error).message, fix: 'mount the cgroup controllers (systemd does), or boot with cgroup_no_v1=all for v2' };
      }
    }],
    ['launcher built', () => {
      try {
        accessSync(paths.launcher, constants.X_OK);
        execFileSync(paths.launcher, ['--version'], { stdio: 'pipe' });
        return undefined;
      } catch {
        return { problem: `${paths.launcher} is missing or does not run`, fix: 'npm install (it runs make -C native), or make -C native' };
      }
    }],
    ['runtime shim built', () => existsSync(paths.shim) ? undefined
      : { problem: `${paths.shim} is missing`, fix: 'npm run build' }],
    ['Redis', async () => config.REDIS_URL ? reachRedis(config.REDIS_URL)
      : findBinary('redis-server', ['/usr/sbin']) ? undefined
        : { problem: 'REDIS_URL is not set and redis-server is not installed', fix: 'apt-get install redis-server, or set REDIS_URL' }],
    ['PostgreSQL', async () => config.DATABASE_URL ? reachPg(config.DATABASE_URL)
      : findBinary('initdb', PG_DIRS) && findBinary('postgres', PG_DIRS) ? undefined
        : { problem: 'DATABASE_URL is not set and PostgreSQL is not installed', fix: 'apt-get install postgresql, or set DATABASE_URL' }],
  ];
}

async function reachRedis(url: string) {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return undefined;
  } catch (err) {
    return { problem: `cannot reach ${url}: ${(err as Error).message}`, fix: 'start Redis or correct REDIS_URL' };
  } finally {
    r.disconnect();
  }
}

async function reachPg(url: string) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('select 1');
    return undefined;
  } catch (err) {
    return { problem: `cannot reach the database: ${(err as Error).message}`, fix: 'start PostgreSQL or correct DATABASE_URL' };
  } finally {
    await c.end().catch(() => {});
  }
}
