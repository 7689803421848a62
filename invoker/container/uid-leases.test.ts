import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PayloadUids } from './payload-ids.js';
import { UidLeases } from './uid-leases.js';

let dir = '';
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'tsfn-uid-leases-')), 'leases');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

/** A process of its own that leases `uids` from `dir` and holds them until its stdin closes. */
async function holder(uids: number[]) {
  const code = `
    const { UidLeases } = await import(${JSON.stringify(new URL('./uid-leases.ts', import.meta.url).pathname)});
    const leases = new UidLeases(${JSON.stringify(dir)});
    process.stdout.write(JSON.stringify(${JSON.stringify(uids)}.map((u) => leases.take(u))) + '\\n');
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, took: JSON.parse(line.toString()) as boolean[] };
}

describe('UidLeases (a directory of lease files, real processes)', () => {
  it('leases a uid to one process at a time, and gives it back', () => {
    const leases = new UidLeases(dir);
    expect(leases.take(7)).toBe(true);
    expect(leases.take(7)).toBe(false);
    expect(readFileSync(join(dir, '7'), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+\\n$`));
    leases.release(7);
    expect(readdirSync(dir)).toEqual([]);
    expect(leases.take(7)).toBe(true);
  });

  it('refuses a uid that another live process holds, and takes it over once that process is gone', async () => {
    const other = await holder([1, 2]);
    expect(other.took).toEqual([true, true]);
    const leases = new UidLeases(dir);
    expect(leases.take(1)).toBe(false);
    leases.release(1); // not ours: left alone
    expect(readdirSync(dir).sort()).toEqual(['1', '2']);
    other.child.stdin!.end();
    await once(other.child, 'exit');
    expect(leases.take(1)).toBe(true);
    expect(leases.take(2)).toBe(true);
  });

  it('takes over a lease whose pid now names another process (a reused pid: its start time differs)', () => {
    const leases = new UidLeases(dir);
    leases.take(3);
    writeFileSync(join(dir, '3'), `${process.pid} 1\n`);
    expect(leases.take(3)).toBe(true);
    writeFileSync(join(dir, '4'), 'garbage\n');
    expect(leases.take(4)).toBe(true);
  });

  it('keeps two invokers\' payload uids apart when they start at the same point of the range', async () => {
    const other = await holder([100, 101, 102]);
    const ids = new PayloadUids(new UidLeases(dir), 100, 6, 0);
    expect([ids.take(), ids.take(), ids.take()]).toEqual([103, 104, 105]);
    other.child.stdin!.end();
    await once(other.child, 'exit');
  });

  it('sweeps away the leases of processes that are gone, and only those', async () => {
    const other = await holder([5]);
    const leases = new UidLeases(dir);
    leases.take(6);
    writeFileSync(join(dir, '7'), `${process.pid} 1\n`);
    leases.sweep();
    expect(readdirSync(dir).sort()).toEqual(['5', '6']);
    other.child.stdin!.end();
    await once(other.child, 'exit');
    leases.sweep();
    expect(readdirSync(dir)).toEqual(['6']);
    new UidLeases(join(dir, 'missing')).sweep();
  });

  it('makes its directory when missing, and fails loudly when it cannot', () => {
    expect(new UidLeases(join(dir, 'deeper')).take(1)).toBe(true);
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => new UidLeases(join(file, 'leases')).take(1)).toThrow(/ENOTDIR/);
  });
});
