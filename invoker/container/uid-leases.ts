import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * uid, created exclusively (O_EXCL), that names its owner by pid and by the
 * pid's start time, since a pid alone may have been reused. A lease whose
 * owner is gone (killed, crashed) is taken over. Synchronous: a lease is a
 * few syscalls on the container-start path.
 *
 * One race is left: two processes taking over the same abandoned lease at the
 * same moment may both get it (both see it abandoned, both remove it, both
 * create it). It needs a crash first, and its cost is the shared uid that
 * every container had before leases.
 */
export class UidLeases implements Leases {
  private readonly self = ownerOf(process.pid) ?? String(process.pid);

  constructor(private readonly dir = UID_LEASE_DIR) {}

  /** Leases `uid` to this process unless a live process holds it. */
  take(uid: number): boolean {
    const file = join(this.dir, String(uid));
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(file, `${this.self}\n`, { flag: 'wx', mode: 0o600 });
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          mkdirSync(this.dir, { recursive: true, mode: 0o700 });
          continue;
        }
        if (code !== 'EEXIST') throw err;
      }
      const owner = readOwner(file);
      if (owner === undefined) continue; // released meanwhile: try again
      if (owner === this.self || alive(owner)) return false;
      rmSync(file, { force: true });
    }
    return false;
  }

  /** Removes the leases of processes that are gone (an invoker killed), as an invoker starts. */
  sweep(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return; // no directory: no leases
    }
    for (const name of names) {
      const owner = readOwner(join(this.dir, name));
      if (owner !== undefined && !alive(owner)) rmSync(join(this.dir, name), { force: true });
    }
  }

  /** Gives `uid` back, if this process holds it. */
  release(uid: number): void {
    const file = join(this.dir, String(uid));
    if (readOwner(file) === this.self) rmSync(file, { force: true });
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
