import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { uuidFrom } from '../core/ids.js';
import { MeteringStream } from '../core/metering.js';
import { paths } from '../core/paths.js';
import { QUEUES, type RedisKeys } from '../core/redis-keys.js';
import { InvocationJob, type Reply } from '../core/schemas/invocation.js';
import { NoCapacity, type ContainerPool } from './pool/container-pool.js';
import { runInvocation } from './run-invocation.js';
import type { InvokerTelemetry } from './telemetry.js';
import { invocationSpan } from './telemetry-spans.js';

const FINISH = readFileSync(join(paths.root, 'invoker', 'lua', 'finish.lua'), 'utf8');

/** Time an async or scheduled attempt may spend starting on top of its timeout. */
const START_SLACK_MS = 10_000;
/** When this host has no memory for a job, it goes back to the queue for this long. */
const REQUEUE_DELAY_MS = 200;

export interface WorkerOptions {
  redis: Redis;
  keys: RedisKeys;
  pool: ContainerPool;
  meter: MeteringStream;
  invokerId: string;
  concurrency: number;
  /**
   * How long a job stays with this invoker without a lock renewal; after a
   * crash, another invoker retries it once this has passed.
   */
  lockMs: number;
  /** Counts every invocation (metrics); spans come from the OpenTelemetry API either way. */
  telemetry?: InvokerTelemetry;
}

/**
 * Takes invocation jobs from BullMQ, runs them through the pool, then, in
 * one round trip (lua/finish.lua), appends the metering record (with the
 * logs) to the metering stream, frees the invocation's admission slot and
 * publishes a sync reply on the waiting gateway's channel. A failed
 * async or scheduled attempt throws, so BullMQ retries it with backoff; after
 * the last attempt it stays in the failed set, the dead-letter list.
 */
export class InvokerWorker {
  private readonly worker: Worker;
  private readonly connection: Redis;

  constructor(private readonly opts: WorkerOptions) {
    opts.redis.defineCommand('tsfnFinish', { numberOfKeys: 2, lua: FINISH });
    this.connection = opts.redis.duplicate();
    this.worker = new Worker(QUEUES.invocations, (job, token) => this.process(job, token), {
      connection: this.connection,
      prefix: opts.keys.bullPrefix,
      concurrency: opts.concurrency,
      autorun: false,
      lockDuration: opts.lockMs,
      stalledInterval: opts.lockMs,
      maxStalledCount: 1,
    });
    this.worker.on('error', (err) => console.error(`invoker: queue error: ${err.message}`));
  }

  start(): void {
    void this.worker.run();
  }

  /** Stops taking jobs and waits for the running ones to finish. */
  async close(): Promise<void> {
    await this.worker.close();
    this.connection.disconnect();
  }

  private async process(job: Job, token?: string): Promise<Reply> {
    const data = InvocationJob.parse(job.data);
    const spec = data.fn;
    const now = Date.now();
    const inv = {
      id: data.invocationId ?? uuidFrom(`${job.id}`),
      attempt: job.attemptsMade + 1,
      job: data,
      queuedAt: data.queuedAt ?? job.timestamp,
      pickedAt: now,
      deadline: data.deadline ?? now + spec.timeout * 1000 + START_SLACK_MS,
    };
    return invocationSpan(inv, async (annotate, scope) => {
      let result;
      try {
        result = await runInvocation(this.opts.pool, inv, this.opts.invokerId, scope);
      } catch (err) {
        if (err instanceof NoCapacity && Date.now() < inv.deadline) {
          await job.moveToDelayed(Date.now() + REQUEUE_DELAY_MS, token);
          throw new DelayedError();
        }
        throw err;
      }
      annotate(result);
      this.opts.telemetry?.invocation(result);
      const { reply, record, logs } = result;
      const { keys, meter } = this.opts;
      await scope.within(() => (this.opts.redis as RedisWithFinish).tsfnFinish(
        meter.stream, keys.inflight(spec.name), inv.id,
        data.replyTo ? keys.reply(data.replyTo) : '', data.replyTo ? JSON.stringify(reply) : '',
        ...MeteringStream.fields(record, logs),
      ));
      if (data.trigger !== 'http' && reply.status !== 'ok') {
        throw new Error(reply.error?.detail ?? `the invocation ended with status ${reply.status}`);
      }
      return reply;
    });
  }
}

/** The connection with finish.lua defined on it. */
type RedisWithFinish = Redis & { tsfnFinish(...args: (string | number)[]): Promise<string> };
