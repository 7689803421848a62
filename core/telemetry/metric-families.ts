import { DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { z } from 'zod';

/**
 * Metrics in Prometheus' terms: what an invoker writes into its heartbeat
 * hash (a wire shape: gateways and invokers of different versions meet
 * there) and what the gateway serves at /metrics. Names follow the
 * OpenTelemetry-to-Prometheus rules: dots become underscores, the unit
 * becomes a suffix (s: _seconds, By: _bytes), counters end in _total.
 */
const Labels = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string());

export const MetricPoint = z.object({
  labels: Labels,
  /** Counter and gauge value. */
  value: z.number().optional(),
  /** Histogram: counts per bucket (boundaries.length + 1 of them, the last one unbounded), not cumulative. */
  histogram: z.object({
    boundaries: z.array(z.number()),
    counts: z.array(z.number().int().nonnegative()),
    sum: z.number(),
    count: z.number().int().nonnegative(),
  }).optional(),
});
export type MetricPoint = z.infer<typeof MetricPoint>;

export const MetricFamily = z.object({
  name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
  help: z.string(),
  type: z.enum(['counter', 'gauge', 'histogram']),
  points: z.array(MetricPoint),
});
export type MetricFamily = z.infer<typeof MetricFamily>;

/** What an invoker publishes every heartbeat. */
export const MetricsSnapshot = z.object({ at: z.number(), families: z.array(MetricFamily) });
export type MetricsSnapshot = z.infer<typeof MetricsSnapshot>;

const UNIT_SUFFIX: Record<string, string> = { s: 'seconds', ms: 'milliseconds', By: 'bytes', '1': 'ratio' };

export function prometheusName(otelName: string, unit: string, counter: boolean): string {
  let name = otelName.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
  const suffix = UNIT_SUFFIX[unit];
  if (suffix && !name.endsWith(`_${suffix}`)) name += `_${suffix}`;
  if (counter && !name.endsWith('_total')) name += '_total';
  return name;
}

/** OpenTelemetry's collected metrics as families (exponential histograms are not used by tsfn and are left out). */
export function toFamilies(metrics: readonly MetricData[]): MetricFamily[] {
  const out: MetricFamily[] = [];
  for (const m of metrics) {
    const { name, description, unit } = m.descriptor;
    const labels = (a: Record<string, unknown>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k.replace(/[^a-zA-Z0-9_]/g, '_'), String(v)]));
    if (m.dataPointType === DataPointType.SUM || m.dataPointType === DataPointType.GAUGE) {
      const counter = m.dataPointType === DataPointType.SUM && m.isMonotonic;
      out.push({
        name: prometheusName(name, unit, counter), help: description, type: counter ? 'counter' : 'gauge',
        points: m.dataPoints.map((p) => ({ labels: labels(p.attributes), value: p.value })),
      });
    } else if (m.dataPointType === DataPointType.HISTOGRAM) {
      out.push({
        name: prometheusName(name, unit, false), help: description, type: 'histogram',
        points: m.dataPoints.map((p) => ({
          labels: labels(p.attributes),
          histogram: { boundaries: p.value.buckets.boundaries, counts: p.value.buckets.counts, sum: p.value.sum ?? 0, count: p.value.count },
        })),
      });
    }
  }
  return out;
}

/**
 * Families from several sources as one list, each source's points carrying
 * its own extra labels (an invoker's id). Families of one name are joined;
 * the first source's help and type win.
 */
export function mergeFamilies(sources: readonly { families: readonly MetricFamily[]; labels?: Record<string, string> }[]): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  for (const { families, labels } of sources) {
    for (const f of families) {
      let into = byName.get(f.name);
      if (!into) byName.set(f.name, into = { ...f, points: [] });
      if (into.type !== f.type) continue;
      for (const p of f.points) into.points.push(labels ? { ...p, labels: { ...p.labels, ...labels } } : p);
    }
  }
  return [...byName.values()];
}
