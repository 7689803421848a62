import { describe, expect, it } from 'vitest';
import { costPicos, divRoundHalfUp, formatMicros, picosToMicros, PriceBook, type Price } from './pricing.js';

const DEFAULT: Price = { effectiveFrom: 0, gbSecondPicos: 16_666_700n, requestPicos: 200_000n, cpuSecondPicos: 0n };
const rec = (over: Partial<{ status: 'ok' | 'rejected' | 'error'; memoryLimitMiB: number; billedMs: number; cpuUs: number }> = {}) =>
  ({ status: 'ok' as const, memoryLimitMiB: 128, billedMs: 100, cpuUs: 0, ...over });

describe('divRoundHalfUp', () => {
  it('rounds halves up and the rest to nearest', () => {
    expect(divRoundHalfUp(5n, 10n)).toBe(1n);
    expect(divRoundHalfUp(4n, 10n)).toBe(0n);
    expect(divRoundHalfUp(15n, 10n)).toBe(2n);
    expect(divRoundHalfUp(14n, 10n)).toBe(1n);
    expect(divRoundHalfUp(0n, 7n)).toBe(0n);
    expect(divRoundHalfUp(1_500_000n, 1_000_000n)).toBe(2n);
  });
});

describe('costPicos', () => {
  it('charges memory-time and the request at the default prices', () => {
    // 1 GB for 1 s: exactly one GB-second plus one request.
    expect(costPicos(rec({ memoryLimitMiB: 1024, billedMs: 1000 }), DEFAULT)).toBe(16_666_700n + 200_000n);
    // 128 MiB × 100 ms = 12 800 MiB·ms = 0.0125 GB-s → 208 333.75 p$ → 208 334.
    expect(costPicos(rec(), DEFAULT)).toBe(208_334n + 200_000n);
  });

  it('rounds each term half up on its own', () => {
    const p: Price = { effectiveFrom: 0, gbSecondPicos: 512_000n, requestPicos: 0n, cpuSecondPicos: 500_000n };
    // 1 MiB·ms × 512 000 / 1 024 000 = 0.5 → 1; 1 µs × 500 000 / 1 000 000 = 0.5 → 1.
    expect(costPicos(rec({ memoryLimitMiB: 1, billedMs: 1, cpuUs: 1 }), p)).toBe(2n);
    // 0.499… rounds down.
    expect(costPicos(rec({ memoryLimitMiB: 1, billedMs: 1, cpuUs: 0 }), { ...p, gbSecondPicos: 511_999n })).toBe(0n);
  });

  it('charges CPU time when a CPU price is set', () => {
    const p = { ...DEFAULT, cpuSecondPicos: 10_000_000n };
    expect(costPicos(rec({ billedMs: 0, cpuUs: 250_000 }), p) - costPicos(rec({ billedMs: 0 }), DEFAULT)).toBe(2_500_000n);
  });

  it('charges nothing for a refused invocation', () => {
    expect(costPicos(rec({ status: 'rejected' }), DEFAULT)).toBe(0n);
  });

  it('stays exact beyond 2^53', () => {
    const p = { ...DEFAULT, gbSecondPicos: 10n ** 12n };
    expect(costPicos(rec({ memoryLimitMiB: 4096, billedMs: 900_000 }), p)).toBe(3_600_000_000_000_000n + 200_000n);
  });
});

describe('PriceBook', () => {
  const book = new PriceBook([
    { ...DEFAULT, effectiveFrom: Date.parse('2026-11-15T00:00:00Z'), requestPicos: 2n },
    DEFAULT,
    { ...DEFAULT, effectiveFrom: Date.parse('2026-12-01T00:00:00Z'), requestPicos: 3n },
  ]);
  it('finds the row in force at a time', () => {
    expect(book.at(Date.parse('2026-11-14T23:59:59.999Z')).requestPicos).toBe(200_000n);
    expect(book.at(Date.parse('2026-11-15T00:00:00Z')).requestPicos).toBe(2n);
    expect(book.at(Date.parse('2026-11-30T12:00:00Z')).requestPicos).toBe(2n);
    expect(book.at(Date.parse('2027-01-01T00:00:00Z')).requestPicos).toBe(3n);
  });
  it('refuses a time before every row', () => {
    expect(() => new PriceBook([{ ...DEFAULT, effectiveFrom: 1000 }]).at(999)).toThrow(/no price/);
  });
});

describe('money formatting', () => {
  it('rounds picos to micros half up', () => {
    expect(picosToMicros(499_999n)).toBe(0n);
    expect(picosToMicros(500_000n)).toBe(1n);
    expect(picosToMicros(1_499_999n)).toBe(1n);
  });
  it('prints exact dollars', () => {
    expect(formatMicros(0n)).toBe('0.000000');
    expect(formatMicros(1n)).toBe('0.000001');
    expect(formatMicros(1_234_567n)).toBe('1.234567');
    expect(formatMicros(-5n)).toBe('-0.000005');
  });
});
