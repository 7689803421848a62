import { describe, expect, it } from 'vitest';
import { parsePrometheus, sum } from '../../test/support/prometheus-parser.js';
import { mergeFamilies, prometheusName } from './metric-families.js';
import { createMetrics } from './metrics.js';
import { prometheusText } from './prometheus-text.js';

describe('prometheusText', () => {
  it('writes counters, gauges and cumulative histograms that a strict parser reads back', async () => {
    const metrics = createMetrics('test', {});
    const m = metrics.meter;
    m.createCounter('tsfn.invocations', { description: 'calls\nper "function"' }).add(2, { function: 'a"b\\c\nd', status: 'ok' });
    const h = m.createHistogram('tsfn.invocation.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.01, 0.1, 1] } });
    for (const v of [0.005, 0.05, 0.05, 5]) h.record(v, { function: 'x' });
    const g = m.createObservableGauge('tsfn.memory.used', { unit: 'By' });
    g.addCallback((r) => r.observe(1.5e9));
    const text = prometheusText(await metrics.collect());
    await metrics.shutdown();

    const f = parsePrometheus(text);
    expect([...f.keys()].sort()).toEqual(['tsfn_invocation_duration_seconds', 'tsfn_invocations_total', 'tsfn_memory_used_bytes']);
    expect(f.get('tsfn_invocations_total')).toMatchObject({ type: 'counter', help: 'calls\\nper "function"' });
    expect(f.get('tsfn_invocations_total')!.samples).toEqual([{ name: 'tsfn_invocations_total', labels: { function: 'a"b\\c\nd', status: 'ok' }, value: 2 }]);
    const buckets = f.get('tsfn_invocation_duration_seconds')!.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([['0.01', 1], ['0.1', 3], ['1', 3], ['+Inf', 4]]);
    expect(sum(f, 'tsfn_invocation_duration_seconds', {}, 'tsfn_invocation_duration_seconds_sum')).toBeCloseTo(5.105);
    expect(f.get('tsfn_memory_used_bytes')).toMatchObject({ type: 'gauge', samples: [{ value: 1.5e9 }] });
  });

  it('joins families from several sources, each point with its source labels', async () => {
    const a = createMetrics('a', {});
    const b = createMetrics('b', {});
    a.meter.createCounter('tsfn.invocations').add(1, { status: 'rejected' });
    b.meter.createCounter('tsfn.invocations').add(3, { status: 'ok' });
    b.meter.createCounter('tsfn.cold_starts').add(1);
    const merged = mergeFamilies([{ families: await a.collect() }, { families: await b.collect(), labels: { invoker: 'inv-1' } }]);
    await Promise.all([a.shutdown(), b.shutdown()]);
    const f = parsePrometheus(prometheusText(merged));
    expect(f.get('tsfn_invocations_total')!.samples.map((s) => s.labels)).toEqual([{ status: 'rejected' }, { status: 'ok', invoker: 'inv-1' }]);
    expect(sum(f, 'tsfn_invocations_total')).toBe(4);
    expect(sum(f, 'tsfn_cold_starts_total', { invoker: 'inv-1' })).toBe(1);
  });

  it('names families as OpenTelemetry maps them to Prometheus', () => {
    expect(prometheusName('tsfn.queue.wait', 's', false)).toBe('tsfn_queue_wait_seconds');
    expect(prometheusName('tsfn.invocations', '', true)).toBe('tsfn_invocations_total');
    expect(prometheusName('tsfn.memory.used_bytes', 'By', false)).toBe('tsfn_memory_used_bytes');
    expect(prometheusName('http.server.request-count', '', true)).toBe('http_server_request_count_total');
  });
});
