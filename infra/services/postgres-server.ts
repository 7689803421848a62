import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { findBinary, PG_DIRS } from './find-binary.js';
import { freePort } from './free-port.js';
import { spawnService, waitReady, type RunningService } from './child-service.js';

export interface PostgresOptions {
  /** Data directory of the cluster; created with initdb on first use. */
  dir: string;
  /** fsync on; off makes throwaway test clusters faster. */
  durable: boolean;
  /** Listen on this port instead of a free one (a restart that clients must find again). */
  port?: number;
}

interface RunAs { uid: number; gid: number; name: string }

/**
 * Starts a private PostgreSQL cluster on a free loopback port with trust
 * auth for the `tsfn` role. PostgreSQL refuses to run as root, so as root the
 * cluster runs as the `postgres` user (or `nobody`); a data directory that
 * user cannot reach (under /root, say) moves to /var/lib/tsfn/postgres-<hash>.
 */
export async function startPostgres(opts: PostgresOptions): Promise<RunningService> {
  const initdb = findBinary('initdb', PG_DIRS);
  const postgres = findBinary('postgres', PG_DIRS);
  if (!initdb || !postgres) {
    throw new Error('PostgreSQL binaries (initdb, postgres) not found: install them (apt-get install postgresql) or set DATABASE_URL');
  }
  const runAs = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
  const dir = runAs && !reachableBy(opts.dir, runAs) ? relocated(opts.dir) : opts.dir;
  prepareDir(dir, runAs);
  const spawnOpts = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    execFileSync(initdb, ['-D', dir, '-U', 'tsfn', '--auth=trust', '-E', 'UTF8', '--no-instructions',
      ...(opts.durable ? [] : ['--no-sync'])], { ...spawnOpts, env, stdio: 'pipe', cwd: dir });
  }
  stopLeftover(dir);
  const port = opts.port ?? await freePort();
  const svc = spawnService(postgres, [
    '-D', dir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    '-c', `fsync=${opts.durable ? 'on' : 'off'}`, '-c', 'max_connections=200',
    ...(opts.durable ? [] : ['-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ], { ...spawnOpts, env, cwd: dir });
  const url = `postgres://tsfn@127.0.0.1:${port}/postgres`;
  await waitReady(svc, 'postgres', async () => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } finally {
      await c.end().catch(() => {});
    }
  });
  return { url, stop: () => svc.stop('SIGINT') };
}

function unprivilegedUser(): RunAs {
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
      return { uid, gid, name };
    } catch { /* try the next */ }
  }
  throw new Error('running as root, PostgreSQL needs an unprivileged user: create a `postgres` user');
}

/** Whether every ancestor of `dir` is searchable by `who` (approximated by "others may search"). */
function reachableBy(dir: string, who: RunAs): boolean {
  const parts = dir.split('/').filter(Boolean);
  let path = '';
  for (const part of parts.slice(0, -1)) {
    path += `/${part}`;
    if (!existsSync(path)) return reachableBy(path, who);
    try {
      execFileSync('test', ['-x', path], { uid: who.uid, gid: who.gid, stdio: 'ignore' });
    } catch {
      return false;
    }
  }
  return true;
}

function relocated(dir: string): string {
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  mkdirSync(RELOCATED_PARENT, { recursive: true });
  chmodSync(RELOCATED_PARENT, 0o755);
  return join(RELOCATED_PARENT, `postgres-${hash}`);
}

const RELOCATED_PARENT = '/var/lib/tsfn';

function prepareDir(dir: string, runAs: RunAs | undefined) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  accessSync(dir, constants.F_OK);
}

/** A postmaster left running by a killed tsfn of ours holds the data directory: stop it. */
function stopLeftover(dir: string) {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes(dir)) return;
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const until = Date.now() + 10_000;
  while (existsSync(`/proc/${pid}`) && Date.now() < until) execFileSync('sleep', ['0.05']);
}
