import { describe, expect, it } from 'vitest';
import { median, percentile } from './stats.js';

describe('median', () => {
  it('is the middle sample of an odd count, in any order', () => {
    expect(median([0.9, 0.7, 1.2])).toBe(0.9);
    expect(median([5])).toBe(5);
  });

  it('is the mean of the two middle samples of an even count', () => {
    expect(median([0.83, 0.97, 0.88, 0.93])).toBeCloseTo(0.905, 12);
    expect(median([2, 1])).toBe(1.5);
  });

  it('is NaN for no samples, and leaves its input unsorted', () => {
    expect(median([])).toBeNaN();
    const s = [3, 1, 2, 0];
    median(s);
    expect(s).toEqual([3, 1, 2, 0]);
  });
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const s = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(s, 99)).toBe(99);
    expect(percentile(s, 50)).toBe(50);
    expect(percentile(s, 100)).toBe(100);
  });
});
