import { randomInt } from 'node:crypto';
import type { Leases } from './uid-leases.js';

/**
 * The host ids payloads run as. Each live container gets a uid of its own
 * from a range no host account uses, so that the kernel's per-user budgets
 * are per container too: inotify instances (128 a user by default) and
 * watches, pipe buffer pages, queued signals, POSIX message queue bytes. With
 * one uid for every tenant, one function holding 128 inotify instances would
 * make `fs.watch` fail in every other tenant's containers on the host.
 * The gid stays nogroup's: groups carry no kernel budget.
 *
 * The base layer's /etc/passwd names every uid of the range (base-skeleton.ts),
 * so getpwuid (os.userInfo()) answers inside.
 */
export const PAYLOAD_UID_BASE = 2_000_000_000;
export const PAYLOAD_UID_COUNT = 2048;
export const PAYLOAD_GID = 65534;

/** The account name of a payload uid, `fn` and its index in the range (fn0 ... fn2047). */
export const payloadUserName = (uid: number): string => `fn${uid - PAYLOAD_UID_BASE}`;

/**
 * Hands out payload uids, one per live container: the next unused one after
 * the last handed out (so a uid just freed is the last to come back), from a
 * random starting point, skipping uids that another process on the host holds
 * (`leases`: UidLeases, so that two invokers on one host, or an invoker and
 * `tsfn run`, never share one). With every uid in use (more live containers
 * than the range holds, which the memory budget prevents on any real host)
 * containers share, round robin.
 */
export class PayloadUids {
  private readonly users = new Map<number, number>();
  private next: number;

  constructor(
    private readonly leases: Leases,
    private readonly base = PAYLOAD_UID_BASE,
    private readonly count = PAYLOAD_UID_COUNT,
    start = randomInt(count),
  ) {
    this.next = start % count;
  }

  take(): number {
    let uid = this.base + this.next;
    for (let i = 0; i < this.count; i++) {
      const candidate = this.base + (this.next + i) % this.count;
      if (!this.users.has(candidate) && this.leases.take(candidate)) {
        uid = candidate;
        break;
      }
    }
    this.next = (uid - this.base + 1) % this.count;
    this.users.set(uid, (this.users.get(uid) ?? 0) + 1);
    return uid;
  }

  release(uid: number): void {
    const n = this.users.get(uid);
    if (n === undefined) return;
    if (n > 1) this.users.set(uid, n - 1);
    else {
      this.users.delete(uid);
      this.leases.release(uid);
    }
  }

  get inUse(): number {
    return this.users.size;
  }
}

