import { describe, expect, it } from 'vitest';
import { isBad, parseEntry, type MeterEntry } from './meter-entry.js';

const record = {
  invocationId: '0b4c4a1e-1111-4111-8111-111111111111', attempt: 1, account: 'acme', function: 'hello', version: 1,
  trigger: 'http', status: 'ok', start: 'cold', queuedAt: '2026-11-01T00:00:00.000Z',
  startedAt: '2026-11-01T00:00:00.010Z', endedAt: '2026-11-01T00:00:00.110Z', queueMs: 10, initMs: 40,
  durationMs: 99.2, billedMs: 100, memoryLimitMiB: 128, memoryPeakBytes: 40e6, cpuUs: 9000, gbSeconds: 0.0125,
  costMicros: 0, invoker: 'inv-1',
};

describe('parseEntry', () => {
  it('reads a record and its logs', () => {
    const e = parseEntry('1-0', ['r', JSON.stringify(record), 'l', JSON.stringify({ lines: [{ ts: 5, level: 'log', msg: 'hi' }], truncated: false })]);
    expect(isBad(e)).toBe(false);
    expect((e as MeterEntry).record.invocationId).toBe(record.invocationId);
    expect((e as MeterEntry).logs?.lines).toEqual([{ ts: 5, level: 'log', msg: 'hi' }]);
  });

  it.each([
    ['no record field', ['x', '1']],
    ['not JSON', ['r', '{']],
    ['not a UUID', ['r', JSON.stringify({ ...record, invocationId: 'abc' })]],
    ['a NUL in a name', ['r', JSON.stringify({ ...record, function: 'a\u0000' })]],
    ['an unknown status', ['r', JSON.stringify({ ...record, status: 'weird' })]],
    ['a time offset PostgreSQL would shift', ['r', JSON.stringify({ ...record, endedAt: '2026-11-01T00:00:00+02:00' })]],
    ['negative CPU', ['r', JSON.stringify({ ...record, cpuUs: -1 })]],
    ['an attempt beyond int4', ['r', JSON.stringify({ ...record, attempt: 2 ** 31 })]],
  ])('sets aside an entry with %s', (_, fields) => {
    const e = parseEntry('1-0', fields as string[]);
    expect(isBad(e)).toBe(true);
  });

  it('keeps the record when only its logs are unreadable', () => {
    const e = parseEntry('1-0', ['r', JSON.stringify(record), 'l', '{"lines": 3}']);
    expect(isBad(e)).toBe(false);
    expect((e as MeterEntry).logs?.truncated).toBe(true);
    expect((e as MeterEntry).logs?.lines[0]!.msg).toMatch(/unreadable/);
  });
});
