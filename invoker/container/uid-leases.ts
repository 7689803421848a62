import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Who else on the host may hold a uid (UidLeases), or no one (NO_LEASES: in-process only). */
export interface Leases {
  take(uid: number): boolean;
  release(uid: number): void;
}

/** For pure logic that shares no host: every uid is free. */
export const NO_LEASES: Leases = { take: () => true, release: () => {} };

/** Where leases live: on /run, a tmpfs, so that a reboot clears them. */
export const UID_LEASE_DIR = '/run/tsfn/payload-uids';

/**
 * Host-wide leases on payload uids, so that two invokers on one host, or an
 * invoker and `tsfn run`, never give one uid to two live containers (each
 * process's PayloadUids only knows its own). A lease is a file named by the
 * uid that names its owner by pid and by the pid's start time, since a pid
 * alone may have been reused. It appears whole or not at all: written under
 * a name of its own, then hard-linked to the uid's name, which fails when
 * the name exists. A lease whose owner is gone (killed, crashed) is taken
 * over, under the uid's takeover lock (`<uid>.takeover`, made the same way):
 * only the lock's holder removes a lease not its own, and only after reading
 * it again and finding the same dead owner, so that two processes taking
 * over one lease at once cannot both get it (one removing the lease the
 * other just made). A lock left by a process that died holding it keeps
 * its uid out of use until the next sweep. Synchronous: a lease is a few
 * syscalls on the container-start path.
 */
/** Files this process made: with its pid, a name of its own for each half-made file. */
let made = 0;

export class UidLeases implements Leases {
  private readonly self = ownerOf(process.pid) ?? String(process.pid);

  constructor(private readonly dir = UID_LEASE_DIR) {}

  /** Leases `uid` to this process unless a live process holds it. */
  take(uid: number): boolean {
    const file = join(this.dir, String(uid));
    for (let attempt = 0; attempt < 3; attempt++) {
      const made = this.create(file);
      if (made === true) return true;
      if (made === undefined) continue; // no directory yet, or swept meanwhile: try again
      const owner = readOwner(file);
      if (owner === undefined) continue; // released meanwhile: try again
      if (owner === this.self || alive(owner)) return false;
      if (!takeOver(file, owner, (lock) => this.create(lock))) return false;
    }
    return false;
  }

  /**
   * Makes `file` naming this process, whole: true when made, false when it
   * exists, undefined when the directory was missing (made now) or the
   * temporary name vanished (a sweep).
   */
  private create(file: string): boolean | undefined {
    const temporary = `${file}.${process.pid}.${++made}.new`;
    try {
      writeFileSync(temporary, `${this.self}\n`, { flag: 'wx', mode: 0o600 });
      linkSync(temporary, file);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'ENOENT') throw err;
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      return undefined;
    } finally {
      rmSync(temporary, { force: true });
    }
  }

  /** Removes the leases, takeover locks and half-made files of processes that are gone (an invoker killed), as an invoker starts. */
  sweep(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return; // no directory: no leases
    }
    const isLease = (name: string) => /^\d+$/.test(name);
    // A dead process's takeover locks and half-made files first, at once;
    // then the leases, each under its takeover lock as take() does.
    for (const name of [...names.filter((n) => !isLease(n)), ...names.filter(isLease)]) {
      const path = join(this.dir, name);
      const owner = readOwner(path);
      if (owner === undefined || alive(owner)) continue;
      if (isLease(name)) takeOver(path, owner, (lock) => this.create(lock));
      else rmSync(path, { force: true });
    }
  }

  /** Gives `uid` back, if this process holds it. */
  release(uid: number): void {
    const file = join(this.dir, String(uid));
    if (readOwner(file) === this.self) rmSync(file, { force: true });
  }
}

/**
 * Removes `file`, a lease of the dead `owner`, unless another process is
 * taking it over (false). `lock` makes the takeover lock (true when made).
 * Exported for its test, which plays a process that comes late.
 */
export function takeOver(file: string, owner: string, lock: (path: string) => boolean | undefined): boolean {
  const held = `${file}.takeover`;
  if (lock(held) !== true) return false;
  try {
    if (readOwner(file) === owner) rmSync(file, { force: true });
    return true;
  } finally {
    rmSync(held, { force: true });
  }
}

/** "<pid> <start time>": the start time in clock ticks after boot, field 22 of /proc/<pid>/stat. */
function ownerOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    return `${pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

function readOwner(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether the process a lease names still runs: same pid, same start time. */
function alive(owner: string): boolean {
  const pid = Number(owner.split(' ')[0]);
  return Number.isSafeInteger(pid) && pid > 0 && ownerOf(pid) === owner;
}
