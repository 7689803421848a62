/** Named states shared by the invoker, the gateway, metering and reports. */
export const START_KINDS = ['cold', 'prewarm', 'warm'] as const;
export type StartKind = (typeof START_KINDS)[number];

export const INVOCATION_STATUSES = ['ok', 'error', 'timeout', 'oom', 'crash', 'rejected'] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];

export const TRIGGERS = ['http', 'async', 'schedule'] as const;
export type Trigger = (typeof TRIGGERS)[number];
