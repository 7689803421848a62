/** Small statistics for benchmarks: medians and percentiles over samples (ms). */
export function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

export const median = (samples: number[]): number => percentile(samples, 50);

export const fmt = (ms: number, digits = 2): string => `${ms.toFixed(digits)} ms`;

/** Times a synchronous or asynchronous action in milliseconds. */
export async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}
