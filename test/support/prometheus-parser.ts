/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests:
 * it throws on anything a Prometheus server would refuse, and on a few
 * things it would accept but which show a bug (a family's samples not
 * together, a sample before its TYPE, a duplicate series, a histogram whose
 * buckets are not cumulative or whose +Inf bucket is not its count).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count', ''], counter: [''], gauge: [''], untyped: [''] };

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: Family | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the exposition does not end with a newline');
  lines.forEach((line, i) => {
    const where = `line ${i + 1} "${line}"`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return;
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      let f = families.get(name);
      if (f && f !== current) throw new Error(`${where}: ${name} was described before, apart`);
      if (!f) {
        if (current && current.samples.length === 0 && current.help === undefined) throw new Error(`${where}: a family without samples or help`);
        f = { name, type: 'untyped', samples: [] };
        families.set(name, f);
        current = f;
      }
      if (kind === 'HELP') f.help = rest;
      else {
        if (f.samples.length) throw new Error(`${where}: TYPE after samples`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`${where}: unknown type`);
        f.type = rest as Family['type'];
      }
      return;
    }
    const s = parseSample(line, where);
    if (!current) throw new Error(`${where}: sample before any TYPE`);
    const suffix = SUFFIXES[current.type]!.find((x) => s.name === current!.name + x);
    if (suffix === undefined) throw new Error(`${where}: sample of another family than ${current.name}`);
    if (current.type === 'counter' && !current.name.endsWith('_total')) throw new Error(`${where}: counter not named *_total`);
    const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series`);
    seen.add(key);
    current.samples.push(s);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function parseSample(line: string, where: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
  if (!m) throw new Error(`${where}: not a sample`);
  const labels: Record<string, string> = {};
  let rest = m[3] ?? '';
  while (rest.length) {
    const lm = /^([^=]+)="((?:[^"\\]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!lm || !LABEL.test(lm[1]!)) throw new Error(`${where}: bad labels`);
    if (lm[1]! in labels) throw new Error(`${where}: label ${lm[1]} twice`);
    labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    rest = rest.slice(lm[0].length);
  }
  const raw = m[4]!;
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
  if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`${where}: bad value`);
  if (!/^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]Inf|NaN)$/.test(raw)) throw new Error(`${where}: bad value`);
  return { name: m[1]!, labels, value };
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const h = series.get(key) ?? { buckets: [] };
    series.set(key, h);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      h.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    } else if (s.name.endsWith('_count')) h.count = s.value;
    else h.sum = s.value;
  }
  for (const [key, h] of series) {
    const bounds = h.buckets.map(([le]) => le);
    if (bounds.at(-1) !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    for (let i = 1; i < h.buckets.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${f.name}${key}: buckets out of order`);
      if (h.buckets[i]![1] < h.buckets[i - 1]![1]) throw new Error(`${f.name}${key}: buckets not cumulative`);
    }
    if (h.count === undefined || h.sum === undefined) throw new Error(`${f.name}${key}: _count or _sum missing`);
    if (h.buckets.at(-1)![1] !== h.count) throw new Error(`${f.name}${key}: +Inf bucket is not _count`);
  }
}

/** Sum of a family's samples named `name` whose labels include `match`. */
export function sum(families: Map<string, Family>, family: string, match: Record<string, string> = {}, name = family): number {
  const f = families.get(family);
  if (!f) return 0;
  return f.samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}
