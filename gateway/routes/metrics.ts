import { Hono } from 'hono';
import type { Counter } from '@opentelemetry/api';
import { MetricsSnapshot, mergeFamilies, type MetricFamily } from '../../core/telemetry/metric-families.js';
import { createMetrics, type Metrics } from '../../core/telemetry/metrics.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../../core/telemetry/prometheus-text.js';
import type { Trigger } from '../../core/states.js';
import type { GatewayEnv } from '../env.js';
import type { GatewayDeps } from '../deps.js';
import { INVOKER_STALE_MS } from '../../core/redis-keys.js';

/** The meter workers' consumer group (MeterWorker's default). */
const METER_GROUP = 'meter';
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'failed'] as const;

/**
 * The gateway's own metrics: admission refusals, and what it reads from Redis
 * when collected (queue depth, live invokers, metering lag). /metrics serves
 * them together with every live invoker's, which each invoker writes into
 * its heartbeat hash: one scrape target per gateway sees the installation.
 */
export class GatewayMetrics {
  private readonly metrics: Metrics;
  private readonly invocations: Counter;

  constructor(private readonly deps: GatewayDeps) {
    this.metrics = createMetrics('tsfn-gateway');
    const m = this.metrics.meter;
    this.invocations = m.createCounter('tsfn.invocations', { description: 'Invocations, by function, status and trigger' });
    const jobs = m.createObservableGauge('tsfn.queue.jobs', { description: 'Invocation jobs in the queue by state (failed: dead-lettered async invocations)' });
    const invokers = m.createObservableGauge('tsfn.invokers', { description: 'Invokers that beat their heart in the last 10 s' });
    const entries = m.createObservableGauge('tsfn.metering.stream.entries', { description: 'Metering records not yet stored in PostgreSQL' });
    const pending = m.createObservableGauge('tsfn.metering.pending', { description: 'Metering records read by a meter and not yet acknowledged' });
    const lag = m.createObservableGauge('tsfn.metering.lag', { unit: 's', description: 'Age of the oldest metering record not yet stored' });
    m.addBatchObservableCallback(async (r) => {
      const { redis, redisKeys: keys } = deps;
      const stream = keys.meteringStream;
      const [counts, live, len, pend, oldest] = await Promise.all([
        deps.invocations.queue.getJobCounts(...QUEUE_STATES),
        redis.zcount(keys.invokers, Date.now() - INVOKER_STALE_MS, '+inf'),
        redis.xlen(stream),
        (redis.xpending(stream, METER_GROUP) as Promise<unknown[]>).catch(() => [0]),
        redis.xrange(stream, '-', '+', 'COUNT', 1),
      ]);
      for (const state of QUEUE_STATES) r.observe(jobs, counts[state] ?? 0, { state });
      r.observe(invokers, live);
      r.observe(entries, len);
      r.observe(pending, Number(pend[0] ?? 0));
      const first = oldest[0]?.[0];
      r.observe(lag, first ? Math.max(0, Date.now() - Number(first.split('-')[0])) / 1000 : 0);
    }, [jobs, invokers, entries, pending, lag]);
  }

  /** An invocation refused at admission (429): it never reaches an invoker, so the gateway counts it. */
  rejected(fn: string, trigger: Trigger): void {
    this.invocations.add(1, { function: fn, status: 'rejected', trigger });
  }

  async text(): Promise<string> {
    const [own, invokers] = await Promise.all([this.metrics.collect(), this.invokerFamilies()]);
    return prometheusText(mergeFamilies([{ families: own }, ...invokers]));
  }

  /** Each live invoker's last snapshot, its points labelled with its id. */
  private async invokerFamilies(): Promise<{ families: MetricFamily[]; labels: Record<string, string> }[]> {
    const { redis, redisKeys: keys } = this.deps;
    const ids = await redis.zrangebyscore(keys.invokers, Date.now() - INVOKER_STALE_MS, '+inf');
    const raw = await Promise.all(ids.map((id) => redis.hget(keys.invoker(id), 'metrics')));
    return ids.flatMap((id, i) => {
      const snap = raw[i] ? MetricsSnapshot.safeParse(safeJson(raw[i]!)) : undefined;
      return snap?.success ? [{ families: snap.data.families, labels: { invoker: id } }] : [];
    });
  }
}

const registry = new WeakMap<GatewayDeps, GatewayMetrics>();

/** The metrics of the gateway built over `deps` (set up by its app). */
export const gatewayMetrics = (deps: GatewayDeps): GatewayMetrics | undefined => registry.get(deps);

/** `GET /metrics`: Prometheus text exposition of the whole installation. */
export function metricsRoutes(deps: GatewayDeps) {
  const metrics = new GatewayMetrics(deps);
  registry.set(deps, metrics);
  const app = new Hono<GatewayEnv>();
  app.get('/metrics', async (c) => c.body(await metrics.text(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }));
  return app;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
