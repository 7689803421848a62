import * as z from 'zod/mini';
import { Header } from './control-to-shim.js';

/**
 * Frames on the control channel between the invoker and the runtime shim in a
 * container (see core/framing.ts for the byte layout). Defined with zod/mini
 * because the shim imports them and its start-up time is a cold start's.
 * The invoker validates every frame the shim sends: the shim shares a
 * process with untrusted function code.
 */
export const ErrorInfo = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.optional(z.string()),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export const LogLine = z.object({
  /** Epoch ms. */
  ts: z.number(),
  level: z.enum(['log', 'info', 'warn', 'error', 'debug', 'stdout', 'stderr']),
  msg: z.string(),
});
export type LogLine = z.infer<typeof LogLine>;

// ---- invoker -> shim: control-to-shim.ts ----

export { HttpRequest, InitFrame, InvokeFrame, ToShim } from './control-to-shim.js';

// ---- shim -> invoker ----

export const ReadyFrame = z.object({ t: z.literal('ready') });
export const InitOkFrame = z.object({ t: z.literal('init-ok'), style: z.enum(['fetch', 'lambda']) });
export const InitErrorFrame = z.object({ t: z.literal('init-error'), error: ErrorInfo, logs: z.array(LogLine) });
export const LogFrame = z.object({ t: z.literal('log'), id: z.string(), logs: z.array(LogLine) });
export const ResultFrame = z.object({
  t: z.literal('result'),
  id: z.string(),
  status: z.number().check(z.int(), z.minimum(200), z.maximum(599)),
  headers: z.array(Header),
  logs: z.array(LogLine),
});
export type ResultFrame = z.infer<typeof ResultFrame>;
export const ErrorFrame = z.object({
  t: z.literal('error'),
  id: z.string(),
  /** 'error': the handler threw or rejected; 'invalid': it returned something unusable; 'too-large': response over the limit. */
  kind: z.enum(['error', 'invalid', 'too-large']),
  error: ErrorInfo,
  logs: z.array(LogLine),
});
export type ErrorFrame = z.infer<typeof ErrorFrame>;

export const FromShim = z.discriminatedUnion('t', [
  ReadyFrame, InitOkFrame, InitErrorFrame, LogFrame, ResultFrame, ErrorFrame,
]);
export type FromShim = z.infer<typeof FromShim>;
