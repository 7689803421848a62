/** Small statistics for benchmarks: medians and percentiles over samples (ms). */
export function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

/**
 * The middle sample, or the mean of the two middle ones when there is an
 * even number of them (percentile's nearest rank would give the lower one,
 * which biases a median of ratios downwards).
 */
export function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const fmt = (ms: number, digits = 2): string => `${ms.toFixed(digits)} ms`;

/** Times a synchronous or asynchronous action in milliseconds. */
export async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}
