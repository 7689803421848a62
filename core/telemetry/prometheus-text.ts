import type { MetricFamily } from './metric-families.js';

/** Content type of the Prometheus text exposition format this writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Families in the Prometheus text exposition format 0.0.4: HELP and TYPE
 * once per family, its samples right after; histograms as cumulative
 * `_bucket{le=...}` series ending in `+Inf`, then `_sum` and `_count`.
 */
export function prometheusText(families: readonly MetricFamily[]): string {
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${escapeHelp(f.help || f.name)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const p of f.points) {
      if (f.type !== 'histogram') {
        if (p.value !== undefined) out += sample(f.name, p.labels, p.value);
        continue;
      }
      const h = p.histogram;
      if (!h) continue;
      let cumulative = 0;
      h.boundaries.forEach((le, i) => {
        cumulative += h.counts[i] ?? 0;
        out += sample(`${f.name}_bucket`, { ...p.labels, le: number(le) }, cumulative);
      });
      out += sample(`${f.name}_bucket`, { ...p.labels, le: '+Inf' }, h.count);
      out += sample(`${f.name}_sum`, p.labels, h.sum);
      out += sample(`${f.name}_count`, p.labels, h.count);
    }
  }
  return out;
}

function sample(name: string, labels: Record<string, string>, value: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return `${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${number(value)}\n`;
}

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
