import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { FunctionTimeout, TooManyRequests, Unavailable } from '../core/errors.js';
import { paths } from '../core/paths.js';
import { INVOKER_STALE_MS, QUEUES, type RedisKeys } from '../core/redis-keys.js';
import { Reply, type InvocationJob } from '../core/schemas/invocation.js';
import { inSpan, parentOf, SpanKind, traceparentOf, type TraceScope } from '../core/telemetry/trace-context.js';

const ADMIT = readFileSync(join(paths.root, 'gateway', 'lua', 'admit.lua'), 'utf8');

interface Waiter {
  resolve(reply: Reply): void;
  timer: NodeJS.Timeout;
}

/**
 * The gateway's side of an invocation: admission against the function's
 * in-flight limit, the BullMQ job, and the wait for the reply on this
 * gateway's own channel (never QueueEvents, which fans every event out to
 * every gateway).
 */
export class InvocationClient {
  readonly queue: Queue;
  private waiters = new Map<string, Waiter>();
  private invokersSeen = { until: 0, alive: false };

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    readonly gatewayId: string,
  ) {
    this.queue = new Queue(QUEUES.invocations, { connection: redis, prefix: keys.bullPrefix });
    // EVALSHA, with EVAL only when Redis lacks the script: not the script's text on every request.
    redis.defineCommand('tsfnAdmit', { numberOfKeys: 1, lua: ADMIT });
  }

  /** Starts receiving replies on `sub`, a connection reserved for subscriptions. */
  async listen(sub: Redis): Promise<void> {
    const channel = this.keys.reply(this.gatewayId);
    sub.on('messageBuffer', (ch: Buffer, message: Buffer) => {
      if (ch.toString() !== channel) return;
      const reply = Reply.parse(JSON.parse(message.toString()));
      const waiter = this.waiters.get(reply.invocationId);
      if (!waiter) return;
      this.waiters.delete(reply.invocationId);
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    });
    await sub.subscribe(channel);
  }

  /**
   * Refuses quickly (429) when the function already has `limit` invocations
   * in flight. The script is sent synchronously inside `scope`, so that its
   * client span is traced there.
   */
  async admit(fn: string, invocationId: string, deadline: number, limit: number, scope: TraceScope): Promise<void> {
    const ok = await scope.within(() => (this.redis as RedisWithAdmit).tsfnAdmit(this.keys.inflight(fn), Date.now(), invocationId, deadline, limit));
    if (ok !== 1) {
      throw new TooManyRequests(`function ${fn} has ${limit} invocations in flight or queued; retry shortly`, 1, { invocationId });
    }
  }

  async release(fn: string, invocationId: string): Promise<void> {
    await this.redis.zrem(this.keys.inflight(fn), invocationId);
  }

  /** 503 unless some invoker has beaten its heart recently (checked at most once a second). */
  async requireInvoker(): Promise<void> {
    const now = Date.now();
    if (this.invokersSeen.until < now) {
      const n = await this.redis.zcount(this.keys.invokers, now - INVOKER_STALE_MS, '+inf');
      this.invokersSeen = { until: now + 1000, alive: n > 0 };
    }
    if (!this.invokersSeen.alive) throw new Unavailable('no invoker is running; start one with `tsfn up` or `tsfn invoker`');
  }

  /** Enqueues and waits for the reply until `waitUntil` (epoch ms). */
  async invokeSync(job: InvocationJob & { invocationId: string }, waitUntil: number, scope: TraceScope): Promise<Reply> {
    const id = job.invocationId;
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new FunctionTimeout(`function ${job.fn.name} did not answer within ${job.fn.timeout} s`, { invocationId: id }));
      }, Math.max(0, waitUntil - Date.now()));
      this.waiters.set(id, { resolve, timer });
    });
    try {
      await this.enqueue({ ...job, replyTo: this.gatewayId }, {
        jobId: id, attempts: 1, removeOnComplete: true, removeOnFail: true,
      }, scope);
    } catch (err) {
      const w = this.waiters.get(id);
      if (w) clearTimeout(w.timer);
      this.waiters.delete(id);
      throw err;
    }
    return reply;
  }

  async invokeAsync(job: InvocationJob & { invocationId: string }, retries: number, scope: TraceScope): Promise<void> {
    const opts: JobsOptions = {
      jobId: job.invocationId,
      attempts: retries + 1,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 7 * 86400 },
      removeOnFail: { age: 7 * 86400 },
    };
    await this.enqueue(job, opts, scope);
  }

  /**
   * Adds the job inside a producer span, child of the request's span (or of
   * the caller's traceparent when tracing is off), whose context the job
   * carries to the invoker as its `traceparent`. BullMQ's own Redis commands
   * (sent after its awaits, outside any context) have no client spans: this span times them.
   */
  private enqueue(job: InvocationJob & { invocationId: string }, opts: JobsOptions, scope: TraceScope) {
    return inSpan(`enqueue ${job.fn.name}`, {
      kind: SpanKind.PRODUCER,
      parent: parentOf(scope, job.traceparent),
      attributes: {
        'messaging.system': 'bullmq', 'messaging.operation.type': 'send', 'messaging.destination.name': QUEUES.invocations,
        'messaging.message.id': job.invocationId, 'faas.invoked_name': job.fn.name,
      },
    }, (_span, inner) => this.queue.add('invoke', { ...job, traceparent: traceparentOf(inner.ctx) ?? job.traceparent }, opts));
  }

  async close(): Promise<void> {
    for (const w of this.waiters.values()) clearTimeout(w.timer);
    this.waiters.clear();
    await this.queue.close();
  }
}

type RedisWithAdmit = Redis & { tsfnAdmit(...args: (string | number)[]): Promise<number> };
