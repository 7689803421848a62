import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { paths } from '../core/paths.js';
import { requireRoot } from './support/root.js';

const exec = promisify(execFile);
const bin = join(paths.root, 'bin', 'tsfn.js');

async function doctor(env: Record<string, string>, prefix: string[] = []) {
  const [cmd, ...args] = [...prefix, process.execPath, bin, 'doctor'];
  try {
    const { stdout } = await exec(cmd!, args, { env: { PATH: process.env.PATH, ...env } });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe('tsfn doctor', () => {
  it('passes on this host, as root, with reachable services', async () => {
    requireRoot();
    const r = await doctor({ REDIS_URL: inject('redisUrl'), DATABASE_URL: inject('databaseUrl') });
    expect(r.stdout.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('prints each failure with its fix and exits 1', async () => {
    requireRoot();
    const r = await doctor({ REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL Redis\n +cannot reach redis:\/\/127\.0\.0\.1:1.*\n +fix: start Redis or correct REDIS_URL/);
    expect(r.stdout).toMatch(/FAIL PostgreSQL\n +cannot reach the database.*\n +fix: /);
  });

  it('tells an unprivileged user that it needs root', async () => {
    requireRoot();
    const r = await doctor({}, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL running as root\n +not root.*\n +fix: /);
  });
});
