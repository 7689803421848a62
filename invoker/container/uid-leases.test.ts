import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PayloadUids } from './payload-ids.js';
import { takeOver, UidLeases } from './uid-leases.js';

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

  it('gives an abandoned lease to one of the processes taking it over at once, never to two', async () => {
    // 300 leases of a dead owner (this pid, another start time), and 4
    // processes that take them over in the same moment, in the same order.
    const uids = Array.from({ length: 300 }, (_, i) => i);
    mkdirSync(dir, { recursive: true });
    for (const uid of uids) writeFileSync(join(dir, String(uid)), `${process.pid} 1\n`);
    const go = join(dir, '..', 'go');
    const code = `
      const { existsSync } = await import('node:fs');
      const { UidLeases } = await import(${JSON.stringify(new URL('./uid-leases.ts', import.meta.url).pathname)});
      const leases = new UidLeases(${JSON.stringify(dir)});
      process.stdout.write('ready\\n');
      while (!existsSync(${JSON.stringify(go)}));
      const took = ${JSON.stringify(uids)}.filter((u) => leases.take(u));
      process.stdout.write(JSON.stringify(took) + '\\n');
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));`;
    const racers = [0, 1, 2, 3].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
      return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
    });
    for (const r of racers) expect((await r.lines.next()).value).toBe('ready');
    writeFileSync(go, '');
    const took = await Promise.all(racers.map(async (r) => JSON.parse((await r.lines.next()).value as string) as number[]));
    for (const r of racers) r.child.stdin!.end();
    await Promise.all(racers.map((r) => once(r.child, 'exit')));
    const holders = uids.map((u) => took.filter((list) => list.includes(u)).length);
    expect(holders.filter((n) => n !== 1)).toEqual([]);
    // Each lease names the racer that got it.
    const pids = new Map(racers.map((r, i) => [r.child.pid, i]));
    for (const u of uids) {
      const owner = pids.get(Number(readFileSync(join(dir, String(u)), 'utf8').split(' ')[0]));
      expect(owner !== undefined && took[owner]!.includes(u)).toBe(true);
    }
  }, 30_000);

  it('takes over a lease only under its takeover lock, and only the dead owner\'s it read', () => {
    const leases = new UidLeases(dir);
    expect(leases.take(8)).toBe(true);
    const mine = readFileSync(join(dir, '8'), 'utf8');
    // A process that judged uid 8 abandoned (by a dead owner) before this one took it over, and comes late.
    const lock = (path: string) => {
      writeFileSync(path, `${process.pid} 1\n`, { flag: 'wx' });
      return true;
    };
    expect(takeOver(join(dir, '8'), `${process.pid} 1`, lock)).toBe(true);
    expect(readFileSync(join(dir, '8'), 'utf8')).toBe(mine);
    // Another process holds the takeover lock: hands off.
    writeFileSync(join(dir, '9'), `${process.pid} 1\n`);
    writeFileSync(join(dir, '9.takeover'), mine);
    expect(leases.take(9)).toBe(false);
    expect(readFileSync(join(dir, '9'), 'utf8')).toBe(`${process.pid} 1\n`);
    // Its holder dies: a sweep clears the lock and the lease.
    writeFileSync(join(dir, '9.takeover'), `${process.pid} 1\n`);
    writeFileSync(join(dir, '9.123.1.new'), `${process.pid} 1\n`);
    leases.sweep();
    expect(readdirSync(dir).sort()).toEqual(['8']);
    expect(leases.take(9)).toBe(true);
  });

  it('makes its directory when missing, and fails loudly when it cannot', () => {
    expect(new UidLeases(join(dir, 'deeper')).take(1)).toBe(true);
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => new UidLeases(join(file, 'leases')).take(1)).toThrow(/ENOTDIR/);
  });
});
