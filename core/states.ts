/** Named states shared by the invoker, the gateway, metering and reports. */
export const START_KINDS = ['cold', 'prewarm', 'warm'] as const;
export type StartKind = (typeof START_KINDS)[number];

export const INVOCATION_STATUSES = ['ok', 'error', 'timeout', 'oom', 'crash', 'rejected'] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];

export const TRIGGERS = ['http', 'async', 'schedule'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** The HTTP status a caller sees for an invocation that did not end `ok`. */
export const STATUS_HTTP: Record<Exclude<InvocationStatus, 'ok'>, number> = {
  error: 502,
  crash: 502,
  oom: 502,
  timeout: 504,
  rejected: 429,
};
