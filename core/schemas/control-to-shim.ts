import * as z from 'zod/mini';

/**
 * The frames the invoker sends the runtime shim (control.ts has the whole
 * protocol). A module of their own so that the shim, which validates only
 * these, builds only these schemas: every schema costs a cold start.
 */
export const Header = z.tuple([z.string(), z.string()]);

export const InitFrame = z.object({
  t: z.literal('init'),
  name: z.string(),
  version: z.number(),
  memoryMiB: z.number(),
  /** Directory holding the function's bundle inside the container. */
  codeDir: z.string(),
  entry: z.string(),
  env: z.record(z.string(), z.string()),
  /** Largest response body the shim may send, in bytes. */
  maxResponseBytes: z.number(),
});
export type InitFrame = z.infer<typeof InitFrame>;

export const HttpRequest = z.object({
  method: z.string(),
  /** Path suffix after /fn/:name, always starting with '/'. */
  path: z.string(),
  /** Raw query string without '?'. */
  query: z.string(),
  headers: z.array(Header),
});
export type HttpRequest = z.infer<typeof HttpRequest>;

export const InvokeFrame = z.object({
  t: z.literal('invoke'),
  id: z.string(),
  /** 'http': an HTTP request; 'event': a JSON event (API invoke, async, schedule). */
  kind: z.enum(['http', 'event']),
  start: z.enum(['cold', 'prewarm', 'warm']),
  trigger: z.enum(['http', 'async', 'schedule']),
  deadline: z.number(),
  traceparent: z.optional(z.string()),
  account: z.string(),
  http: HttpRequest,
});
export type InvokeFrame = z.infer<typeof InvokeFrame>;

export const ToShim = z.discriminatedUnion('t', [InitFrame, InvokeFrame]);
export type ToShim = z.infer<typeof ToShim>;
