import { z } from 'zod';
import { INVOCATION_STATUSES, START_KINDS, TRIGGERS } from '../states.js';

const Header = z.tuple([z.string(), z.string()]);

/** What an invoker needs to know about a function version to run it. */
export const FunctionSpec = z.object({
  account: z.string(),
  name: z.string(),
  version: z.number().int().positive(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  entry: z.string(),
  memory: z.number().int(),
  cpu: z.number(),
  timeout: z.number().int(),
  concurrency: z.number().int(),
  minWarm: z.number().int(),
  env: z.record(z.string(), z.string()),
});
export type FunctionSpec = z.infer<typeof FunctionSpec>;

/**
 * BullMQ job data of one invocation. Scheduled invocations come from a job
 * scheduler's template and carry no id or queue time: the invoker derives them
 * from the BullMQ job (id and timestamp).
 */
export const InvocationJob = z.object({
  invocationId: z.string().optional(),
  fn: FunctionSpec,
  trigger: z.enum(TRIGGERS),
  kind: z.enum(['http', 'event']),
  http: z.object({
    method: z.string(),
    path: z.string(),
    query: z.string(),
    headers: z.array(Header),
  }),
  bodyB64: z.string(),
  queuedAt: z.number().optional(),
  /** Epoch ms by which the function must have answered (sync: the caller's deadline). */
  deadline: z.number().optional(),
  traceparent: z.string().optional(),
  /** Gateway instance waiting for the reply (sync invocations only). */
  replyTo: z.string().optional(),
});
export type InvocationJob = z.infer<typeof InvocationJob>;

/** Timings of one invocation, in milliseconds. */
export const Timing = z.object({ queueMs: z.number(), initMs: z.number(), runMs: z.number() });
export type Timing = z.infer<typeof Timing>;

/** What an invoker publishes on the waiting gateway's reply channel. */
export const Reply = z.object({
  invocationId: z.string(),
  status: z.enum(INVOCATION_STATUSES),
  start: z.enum(START_KINDS),
  http: z.object({ status: z.number().int(), headers: z.array(Header), bodyB64: z.string() }).optional(),
  error: z.object({ title: z.string(), detail: z.string() }).optional(),
  timing: Timing,
});
export type Reply = z.infer<typeof Reply>;

/** SPEC §4: one per invocation, written exactly once. */
export const MeteringRecord = z.object({
  invocationId: z.string(),
  /** 1 for the first try; async and scheduled invocations are retried. */
  attempt: z.number().int().min(1),
  account: z.string(),
  function: z.string(),
  version: z.number().int(),
  trigger: z.enum(TRIGGERS),
  status: z.enum(INVOCATION_STATUSES),
  start: z.enum(START_KINDS),
  queuedAt: z.string().datetime(),
  startedAt: z.string().datetime(),
  endedAt: z.string().datetime(),
  queueMs: z.number(),
  initMs: z.number(),
  durationMs: z.number(),
  billedMs: z.number().int(),
  memoryLimitMiB: z.number().int(),
  memoryPeakBytes: z.number().int(),
  cpuUs: z.number().int(),
  gbSeconds: z.number(),
  costMicros: z.number(),
  invoker: z.string(),
});
export type MeteringRecord = z.infer<typeof MeteringRecord>;
