import { describe, expect, it } from 'vitest';
import { PAYLOAD_UID_BASE, PAYLOAD_UID_COUNT, PayloadUids, payloadUserName } from './payload-ids.js';
import { NO_LEASES, type Leases } from './uid-leases.js';

describe('PayloadUids', () => {
  it('gives every live container a uid of its own, from the start point on, wrapping at the end of the range', () => {
    const ids = new PayloadUids(NO_LEASES, 1000, 4, 2);
    expect([ids.take(), ids.take(), ids.take(), ids.take()]).toEqual([1002, 1003, 1000, 1001]);
    expect(ids.inUse).toBe(4);
  });

  it('hands a freed uid out last, after the unused ones', () => {
    const ids = new PayloadUids(NO_LEASES, 1000, 4, 0);
    const a = ids.take();
    ids.take();
    ids.release(a);
    expect([ids.take(), ids.take(), ids.take()]).toEqual([1002, 1003, 1000]);
  });

  it('shares round robin once every uid is in use, and frees a shared uid only when its last user goes', () => {
    const ids = new PayloadUids(NO_LEASES, 1000, 2, 0);
    expect([ids.take(), ids.take(), ids.take()]).toEqual([1000, 1001, 1000]);
    ids.release(1000);
    expect(ids.inUse).toBe(2);
    ids.release(1000);
    expect(ids.inUse).toBe(1);
    expect(ids.take()).toBe(1000);
  });

  it('ignores the release of a uid it did not hand out', () => {
    const ids = new PayloadUids(NO_LEASES, 1000, 2, 0);
    ids.release(1001);
    ids.release(5);
    expect(ids.inUse).toBe(0);
  });

  it('starts at a random point of the real range by default', () => {
    const ids = new PayloadUids(NO_LEASES);
    const uid = ids.take();
    expect(uid).toBeGreaterThanOrEqual(PAYLOAD_UID_BASE);
    expect(uid).toBeLessThan(PAYLOAD_UID_BASE + PAYLOAD_UID_COUNT);
  });

  it('skips the uids another process holds, and gives a lease back only when the uid\'s last user goes', () => {
    const held = new Set([1001, 1002]);
    const mine: number[] = [];
    const leases: Leases = {
      take: (uid) => !held.has(uid) && (mine.push(uid), true),
      release: (uid) => void mine.splice(mine.indexOf(uid), 1),
    };
    const ids = new PayloadUids(leases, 1000, 4, 1);
    expect([ids.take(), ids.take()]).toEqual([1003, 1000]);
    expect(mine).toEqual([1003, 1000]);
    // Every uid in use here or held elsewhere: shared, round robin, as before leases.
    expect(ids.take()).toBe(1001);
    ids.release(1003);
    expect(mine).toEqual([1000]);
  });

  it('names a uid by its index in the range', () => {
    expect(payloadUserName(PAYLOAD_UID_BASE)).toBe('fn0');
    expect(payloadUserName(PAYLOAD_UID_BASE + PAYLOAD_UID_COUNT - 1)).toBe(`fn${PAYLOAD_UID_COUNT - 1}`);
  });
});
