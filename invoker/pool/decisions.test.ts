import { describe, expect, it } from 'vitest';
import { expired, minWarmShare, schedule, stemsToStart, victims, warmToStart, type Slot } from './decisions.js';

const slot = (id: string, key: string | undefined, state: Slot['state'], memoryMiB = 128, lastUsed = 0): Slot =>
  ({ id, key, state, memoryMiB, lastUsed });
const want = { key: 'f@1', memoryMiB: 128, concurrency: 2 };

describe('schedule', () => {
  it('prefers the most recently used idle warm container of the function', () => {
    const d = schedule([slot('a', 'f@1', 'idle', 128, 1), slot('b', 'f@1', 'idle', 128, 5), slot('s', undefined, 'idle')], want, 1024);
    expect(d).toEqual({ kind: 'warm', id: 'b' });
  });

  it('never picks a busy, starting or other function container as warm', () => {
    const d = schedule([slot('a', 'f@1', 'busy'), slot('g', 'g@1', 'idle')], want, 1024);
    expect(d).toEqual({ kind: 'cold', evict: [] });
  });

  it('specialises a stem cell before starting cold', () => {
    expect(schedule([slot('s', undefined, 'idle')], want, 1024)).toEqual({ kind: 'prewarm', id: 's', evict: [] });
    expect(schedule([slot('s', undefined, 'starting')], want, 1024)).toEqual({ kind: 'cold', evict: [] });
  });

  it('waits when the function is at its concurrency', () => {
    expect(schedule([slot('a', 'f@1', 'busy'), slot('b', 'f@1', 'starting'), slot('s', undefined, 'idle')], want, 4096))
      .toEqual({ kind: 'wait' });
  });

  it('evicts the least recently used idle containers of other functions to make room', () => {
    const slots = [slot('old', 'g@1', 'idle', 128, 1), slot('new', 'g@1', 'idle', 128, 9), slot('busy', 'h@1', 'busy')];
    expect(schedule(slots, want, 384)).toEqual({ kind: 'cold', evict: ['old'] });
  });

  it('reports full when busy containers hold the whole budget', () => {
    expect(schedule([slot('a', 'g@1', 'busy', 256), slot('b', 'h@1', 'busy', 128)], want, 384)).toEqual({ kind: 'full' });
  });

  it('accounts for a stem cell growing to the function memory', () => {
    const big = { ...want, memoryMiB: 512 };
    expect(schedule([slot('s', undefined, 'idle', 128), slot('x', 'g@1', 'idle', 128, 1)], big, 512))
      .toEqual({ kind: 'prewarm', id: 's', evict: ['x'] });
  });
});

describe('victims', () => {
  it('returns [] when the need fits', () => {
    expect(victims([slot('a', 'g', 'idle')], 128, 256, new Set())).toEqual([]);
  });
  it('evicts function containers before stem cells, oldest first', () => {
    const slots = [slot('s', undefined, 'idle', 128, 0), slot('g2', 'g', 'idle', 128, 7), slot('g1', 'g', 'idle', 128, 3)];
    expect(victims(slots, 256, 384, new Set())).toEqual(['g1', 'g2']);
  });
  it('is undefined when evicting everything idle is not enough', () => {
    expect(victims([slot('a', 'g', 'busy', 256), slot('b', 'g', 'idle', 64)], 256, 384, new Set())).toBeUndefined();
  });
});

describe('expired', () => {
  it('tears down idle containers past keep-alive but keeps the newest minWarm', () => {
    const slots = [slot('a', 'f', 'idle', 128, 0), slot('b', 'f', 'idle', 128, 10), slot('c', 'g', 'idle', 128, 0),
      slot('d', 'g', 'busy', 128, 0), slot('s', undefined, 'idle', 128, 0)];
    expect(expired(slots, 1000, 500, new Map([['f', 1]])).sort()).toEqual(['a', 'c']);
    expect(expired(slots, 400, 500, new Map())).toEqual([]);
  });
});

describe('stemsToStart / warmToStart', () => {
  it('fills up to the target within the budget', () => {
    expect(stemsToStart([slot('s', undefined, 'starting')], 3, 128, 1024)).toBe(2);
    expect(stemsToStart([slot('a', 'f', 'busy', 900)], 3, 128, 1024)).toBe(0);
    expect(warmToStart([slot('a', 'f', 'busy')], 'f', 3, 128, 1024)).toBe(2);
    expect(warmToStart([], 'f', 3, 512, 1024)).toBe(2);
  });
});

describe('minWarmShare', () => {
  const total = (m: number, ids: string[], key: string) => ids.reduce((sum, id) => sum + minWarmShare(m, ids, id, key), 0);

  it('splits minWarm over the live invokers so that they keep exactly minWarm together', () => {
    const ids = ['inv-c', 'inv-a', 'inv-b'];
    for (const m of [0, 1, 2, 3, 4, 7, 10]) {
      for (const key of ['f@1', 'g@2', 'hello@12']) {
        expect(total(m, ids, key)).toBe(m);
        for (const id of ids) {
          expect(minWarmShare(m, ids, id, key)).toBeGreaterThanOrEqual(Math.floor(m / 3));
          expect(minWarmShare(m, ids, id, key)).toBeLessThanOrEqual(Math.ceil(m / 3));
        }
      }
    }
  });

  it('gives a lone invoker the whole of it, counting itself live before its first heartbeat', () => {
    expect(minWarmShare(3, [], 'inv-a', 'f@1')).toBe(3);
    expect(minWarmShare(3, ['inv-a'], 'inv-a', 'f@1')).toBe(3);
    expect(minWarmShare(4, ['inv-b'], 'inv-a', 'f@1')).toBe(2);
  });

  it('does not depend on the order the invokers are listed in', () => {
    const key = 'f@1';
    expect(minWarmShare(1, ['x', 'y', 'z'], 'y', key)).toBe(minWarmShare(1, ['z', 'y', 'x'], 'y', key));
  });

  it('spreads functions of minWarm 1 over the invokers rather than putting them all on one', () => {
    const ids = ['inv-a', 'inv-b', 'inv-c'];
    const holders = new Set(Array.from({ length: 30 }, (_, i) => ids.find((id) => minWarmShare(1, ids, id, `fn${i}@1`) === 1)));
    expect(holders.size).toBe(3);
  });
});
