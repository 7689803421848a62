import type { InitFrame, InvokeFrame } from '../../core/schemas/control.js';

/** The SPEC §1 `Context`, given to every handler. */
export interface Context {
  invocationId: string;
  functionName: string;
  version: number;
  memoryLimitMiB: number;
  /** Epoch ms. */
  deadline: number;
  getRemainingTimeInMillis(): number;
  traceparent: string | undefined;
  coldStart: boolean;
}

/** Workers-style extras for fetch handlers (Hono reads them as `c.executionCtx`). */
export interface FetchContext extends Context {
  /** Keeps the invocation open until `promise` settles; its rejection is logged, not fatal. */
  waitUntil(promise: unknown): void;
  passThroughOnException(): void;
}

/** The names Lambda's Node.js runtime gives the same facts. */
export interface LambdaContext extends Context {
  awsRequestId: string;
  functionVersion: string;
  memoryLimitInMB: string;
  invokedFunctionArn: string;
  /** Accepted for compatibility; the invocation always ends when the handler settles. */
  callbackWaitsForEmptyEventLoop: boolean;
}

export function baseContext(init: InitFrame, invoke: InvokeFrame, coldStart: boolean): Context {
  const deadline = invoke.deadline;
  return {
    invocationId: invoke.id,
    functionName: init.name,
    version: init.version,
    memoryLimitMiB: init.memoryMiB,
    deadline,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    traceparent: invoke.traceparent,
    coldStart,
  };
}

export function fetchContext(base: Context, waitUntil: (promise: unknown) => void): FetchContext {
  return { ...base, waitUntil, passThroughOnException() {} };
}

export function lambdaContext(base: Context, account: string): LambdaContext {
  return {
    ...base,
    awsRequestId: base.invocationId,
    functionVersion: String(base.version),
    memoryLimitInMB: String(base.memoryLimitMiB),
    invokedFunctionArn: `arn:tsfn:lambda:local:${account}:function:${base.functionName}:${base.version}`,
    callbackWaitsForEmptyEventLoop: true,
  };
}
