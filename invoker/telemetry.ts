import type { Counter, Histogram } from '@opentelemetry/api';
import type { MetricsSnapshot } from '../core/telemetry/metric-families.js';
import { createMetrics, SECONDS_BUCKETS, type Metrics } from '../core/telemetry/metrics.js';
import type { ContainerPool, PoolObserver } from './pool/container-pool.js';
import type { InvocationResult } from './run-invocation.js';

/**
 * The invoker's metrics. They are pulled into the heartbeat (snapshot),
 * which every gateway's /metrics reads, so one scrape target per gateway sees
 * every invoker; they are also pushed over OTLP when the environment asks
 * for it. (The spans of the pool's steps come from telemetry-spans.ts.)
 */
export class InvokerTelemetry {
  readonly observer: PoolObserver;
  private readonly metrics: Metrics;
  private readonly invocations: Counter;
  private readonly duration: Histogram;
  private readonly init: Histogram;
  private readonly queueWait: Histogram;
  private readonly coldStarts: Counter;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.metrics = createMetrics('tsfn-invoker', env);
    const m = this.metrics.meter;
    const seconds = { unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } };
    this.invocations = m.createCounter('tsfn.invocations', { description: 'Invocations, by function, status and trigger' });
    this.duration = m.createHistogram('tsfn.invocation.duration', { ...seconds, description: 'Time the function ran, per invocation' });
    this.init = m.createHistogram('tsfn.invocation.init_duration', {
      ...seconds, description: 'Time to get a new container ready (launch or attach, then init), by start kind',
    });
    this.queueWait = m.createHistogram('tsfn.queue.wait', { ...seconds, description: 'Time from enqueue to an invoker taking the job' });
    this.coldStarts = m.createCounter('tsfn.cold_starts', { description: 'Invocations that needed a new (cold) or specialised stem cell (prewarm) container' });
    const starts = m.createCounter('tsfn.container.starts', { description: 'Containers started, function (with code) or stem cell' });
    const failures = m.createCounter('tsfn.container.start_failures', { description: 'Containers that failed to launch, take code or initialise' });
    this.observer = {
      started: (role) => starts.add(1, { role }),
      failed: (role, phase) => failures.add(1, { role, phase }),
    };
  }

  /** Pool sizes and memory, read when metrics are collected. */
  observe(pool: Pick<ContainerPool, 'stats'>): void {
    const m = this.metrics.meter;
    const containers = m.createObservableGauge('tsfn.pool.containers', { description: 'Containers of this invoker by state (paused: frozen while idle)' });
    const budget = m.createObservableGauge('tsfn.memory.budget', { unit: 'By', description: 'Memory budget for containers' });
    const used = m.createObservableGauge('tsfn.memory.used', { unit: 'By', description: 'Memory of the budget held by containers' });
    m.addBatchObservableCallback((r) => {
      const s = pool.stats();
      for (const state of ['warm', 'prewarm', 'busy', 'starting', 'paused'] as const) r.observe(containers, s[state], { state });
      r.observe(budget, s.budgetMiB * 1048576);
      r.observe(used, s.memoryMiB * 1048576);
    }, [containers, budget, used]);
  }

  invocation({ record, container }: InvocationResult): void {
    const fn = record.function;
    this.invocations.add(1, { function: fn, status: record.status, trigger: record.trigger });
    this.queueWait.record(record.queueMs / 1000, { function: fn });
    if (!container) return;
    if (container.start !== 'warm') {
      this.coldStarts.add(1, { function: fn, kind: container.start });
      this.init.record(record.initMs / 1000, { function: fn, start: container.start });
    }
    if (container.ran) this.duration.record(record.durationMs / 1000, { function: fn });
  }

  /** The metrics now, for the heartbeat hash (JSON of a MetricsSnapshot). */
  async snapshot(): Promise<string> {
    const snap: MetricsSnapshot = { at: Date.now(), families: await this.metrics.collect() };
    return JSON.stringify(snap);
  }

  shutdown(): Promise<void> {
    return this.metrics.shutdown();
  }
}
