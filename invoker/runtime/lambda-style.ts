import type { InitFrame, InvokeFrame } from '../../core/schemas/control.js';
import type { LambdaHandler } from './function-loader.js';
import { lambdaContext, type Context } from './invocation-context.js';
import { buildHttpEvent, parseJsonEvent } from './lambda-event.js';
import { eventResultOf, httpResultOf } from './lambda-result.js';
import type { Outcome } from './outcome.js';

/**
 * Runs a Lambda-style handler: an HTTP invocation gets the payload 2.0 event,
 * a JSON invocation gets the JSON itself.
 */
export async function runLambda(
  handler: LambdaHandler,
  init: InitFrame,
  invoke: InvokeFrame,
  body: Uint8Array,
  base: Context,
): Promise<Extract<Outcome, { t: 'result' }>> {
  const event = invoke.kind === 'event' ? parseJsonEvent(body) : buildHttpEvent(invoke, body, init.name, Date.now());
  const value = await call(handler, event, lambdaContext(base, invoke.account));
  return invoke.kind === 'event'
    ? eventResultOf(value, init.maxResponseBytes)
    : httpResultOf(value, init.maxResponseBytes);
}

/**
 * Async handlers settle by their promise. A handler declaring a third
 * parameter may answer through `callback(err, value)` instead, as in
 * Lambda's Node.js runtime; whichever comes first wins.
 */
function call(handler: LambdaHandler, event: unknown, context: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (err?: unknown, value?: unknown) => (err === undefined || err === null ? resolve(value) : reject(err));
    const returned = handler(event, context, callback);
    const thenable = typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function';
    if (thenable || handler.length < 3) Promise.resolve(returned).then(resolve, reject);
  });
}
