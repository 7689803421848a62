import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact, deploy } from './support/artifacts.js';
import { testContext, type TestContext } from './support/context.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { parsePrometheus, sum, type Family } from './support/prometheus-parser.js';
import { requireRoot } from './support/root.js';

/**
 * GET /metrics of a real gateway with a real invoker and meter: strict
 * Prometheus text, and counters that move by exactly the invocations made
 * (invoker metrics reach the gateway through the invoker's heartbeat, every
 * 2 s, so the test waits for them to arrive, then checks they stay put).
 */
let ctx: TestContext;
let p: TestPlatform;
let url: string;

const scrape = async (): Promise<Map<string, Family>> => {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(await res.text());
};

/** Scrapes until `probe` holds (the heartbeat carries invoker metrics), then once more to see it still holds. */
async function settled(probe: (m: Map<string, Family>) => boolean): Promise<Map<string, Family>> {
  const until = Date.now() + 15_000;
  for (;;) {
    const m = await scrape();
    if (probe(m)) {
      await new Promise((r) => setTimeout(r, 2500));
      const again = await scrape();
      expect(probe(again), 'the metrics moved on after they matched').toBe(true);
      return again;
    }
    if (Date.now() > until) return m;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  // No queue beyond a function's concurrency: a second call to a busy `slow` is refused (429).
  p = await startPlatform(ctx, { meter: true, env: { TSFN_QUEUE_PER_FUNCTION: '0' } });
  url = p.gateway.url;
  const arts = await Promise.all([
    buildArtifact({ 'index.ts': 'export default { fetch: () => new Response("ok") };' }),
    buildArtifact({ 'index.ts': 'export default { fetch() { throw new Error("boom"); } };' }),
    buildArtifact({ 'index.ts': 'export default { async fetch() { await new Promise((r) => setTimeout(r, 1500)); return new Response("slow"); } };' }),
  ]);
  for (const [name, art, manifest] of [['counted', arts[0]!, {}], ['boom', arts[1]!, {}], ['slow', arts[2]!, { concurrency: 1 }]] as const) {
    expect((await deploy(url, p.admin, name, manifest, art.data)).status).toBe(201);
  }
});
afterAll(async () => {
  await p?.close();
  await ctx?.close();
});

describe('GET /metrics', () => {
  it('serves strict Prometheus text without a key, with the gateway\'s and the invoker\'s families', async () => {
    const m = await settled((x) => x.has('tsfn_pool_containers'));
    for (const name of [
      'tsfn_queue_jobs', 'tsfn_invokers', 'tsfn_metering_stream_entries', 'tsfn_metering_pending', 'tsfn_metering_lag_seconds',
      'tsfn_pool_containers', 'tsfn_memory_budget_bytes', 'tsfn_memory_used_bytes',
    ]) expect(m.has(name), name).toBe(true);
    expect(sum(m, 'tsfn_invokers')).toBe(1);
    expect(sum(m, 'tsfn_memory_budget_bytes', { invoker: p.invoker!.id })).toBe(2048 * 1048576);
    expect(m.get('tsfn_pool_containers')!.samples.map((s) => s.labels.state).sort()).toEqual(['busy', 'paused', 'prewarm', 'starting', 'warm']);
    expect(m.get('tsfn_queue_jobs')!.samples.map((s) => s.labels.state).sort()).toEqual(['active', 'delayed', 'failed', 'paused', 'prioritized', 'waiting']);
  });

  it('counts invocations by function and status, cold starts, durations and queue waits exactly', async () => {
    const before = await settled((x) => x.has('tsfn_pool_containers'));
    const b = (family: string, match: Record<string, string> = {}, name = family) => sum(before, family, match, name);

    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/fn/counted`)).status);
    for (let i = 0; i < 2; i++) statuses.push((await fetch(`${url}/fn/boom`)).status);
    const [first, second] = await Promise.all([fetch(`${url}/fn/slow`), new Promise((r) => setTimeout(r, 300)).then(() => fetch(`${url}/fn/slow`))]);
    statuses.push(first.status, second.status);
    expect(statuses).toEqual([200, 200, 200, 502, 502, 200, 429]);

    const invocations = (fn: string, status: string) => ['tsfn_invocations_total', { function: fn, status, trigger: 'http' }] as const;
    const want: [string, Record<string, string>, number, string?][] = [
      [...invocations('counted', 'ok'), 3],
      [...invocations('boom', 'error'), 2],
      [...invocations('slow', 'ok'), 1],
      [...invocations('slow', 'rejected'), 1],
      ['tsfn_cold_starts_total', { function: 'counted', kind: 'cold' }, 1],
      ['tsfn_cold_starts_total', { function: 'boom', kind: 'cold' }, 1],
      ['tsfn_cold_starts_total', { kind: 'prewarm' }, 0],
      ['tsfn_container_starts_total', { role: 'function' }, 3],
      ['tsfn_container_start_failures_total', {}, 0],
      ['tsfn_invocation_duration_seconds', { function: 'counted' }, 3, 'tsfn_invocation_duration_seconds_count'],
      ['tsfn_invocation_duration_seconds', { function: 'slow' }, 1, 'tsfn_invocation_duration_seconds_count'],
      ['tsfn_invocation_init_duration_seconds', { function: 'counted', start: 'cold' }, 1, 'tsfn_invocation_init_duration_seconds_count'],
      ['tsfn_queue_wait_seconds', {}, 6, 'tsfn_queue_wait_seconds_count'],
    ];
    const moved = (m: Map<string, Family>) => want.map(([f, match, , name]) => sum(m, f, match, name) - b(f, match, name));
    const after = await settled((m) => moved(m).every((d, i) => d === want[i]![2]));
    expect(moved(after)).toEqual(want.map((w) => w[2]));

    // The invoker's series carry its id; the rejection was counted by the gateway.
    expect(sum(after, 'tsfn_invocations_total', { function: 'counted', invoker: p.invoker!.id })).toBe(b('tsfn_invocations_total', { function: 'counted' }) + 3);
    expect(after.get('tsfn_invocations_total')!.samples.find((s) => s.labels.status === 'rejected')!.labels.invoker).toBeUndefined();
    const slowSeconds = sum(after, 'tsfn_invocation_duration_seconds', { function: 'slow' }, 'tsfn_invocation_duration_seconds_sum');
    expect(slowSeconds).toBeGreaterThan(1.4);
    expect(slowSeconds).toBeLessThan(10);
    expect(sum(after, 'tsfn_pool_containers', { state: 'busy' })).toBe(0);
    expect(sum(after, 'tsfn_memory_used_bytes')).toBe(3 * 128 * 1048576);
  });

  it('shows the metering stream draining', async () => {
    const m = await settled((x) => sum(x, 'tsfn_metering_stream_entries') === 0);
    expect(sum(m, 'tsfn_metering_stream_entries')).toBe(0);
    expect(sum(m, 'tsfn_metering_pending')).toBe(0);
    expect(sum(m, 'tsfn_metering_lag_seconds')).toBe(0);
  });
});
