/**
 * The runtime shim: the process that runs inside every container, booted once.
 * It says `ready` on fd 3, takes one `init` (the function's code and env) and
 * then `invoke` frames one at a time, answering each exactly once with a
 * `result` or an `error` frame. Start-up time is a cold start's: anything that
 * can wait until a frame asks for it waits.
 */
import type { Frame } from '../../core/framing.js';
import type { ErrorInfo, InitFrame, InvokeFrame } from '../../core/schemas/control.js';
import { diagnostic, openControlChannel, protocolFailure } from './control-channel.js';
import { runFetch } from './fetch-style.js';
import { frameSchemas } from './frame-schemas.js';
import { loadFunction, type LoadedFunction } from './function-loader.js';
import { closeInheritedFds } from './inherited-fds.js';
import { baseContext } from './invocation-context.js';
import { runLambda } from './lambda-style.js';
import { LogCapture } from './log-capture.js';
import { errorInfo, failed, type Outcome } from './outcome.js';
import { FDS_CLOSED_FLAG, PREWARM_FLAG } from './shim-command.js';
import { warmUp } from './warm-up.js';
import { installFetchClasses } from './web/install.js';

type FunctionState =
  | { state: 'empty' }
  | { state: 'loaded'; init: InitFrame; fn: LoadedFunction }
  | { state: 'failed'; error: ErrorInfo };

type Settled<T> = { state: 'ok'; value: T } | { state: 'thrown'; thrown: unknown };

let current: FunctionState = { state: 'empty' };
/** The init or invocation being answered; an uncaught error ends it. */
let inFlight: { fail(thrown: unknown): void } | undefined;
let invocations = 0;
let queue = Promise.resolve();
let preparation: 'pending' | 'done' = 'pending';

// Before any function code: `Request`, `Response` and `Headers` are the shim's
// own, so that a fetch-style cold start does not evaluate undici (web/install.ts).
installFetchClasses();
const channel = openControlChannel(receive);
const logs = new LogCapture((id, lines) => channel.send({ t: 'log', id, logs: lines }));

process.on('uncaughtException', uncaught);
process.on('unhandledRejection', uncaught);

// A stem cell warms up before `ready`: the invoker may freeze it from then on.
// A cold container's init follows at once and pays only for what it uses.
if (process.argv.includes(PREWARM_FLAG)) {
  prepareForCode();
  warmUp().then(() => channel.send({ t: 'ready' }), (err) => protocolFailure(`warm-up failed: ${String(err)}`));
} else {
  channel.send({ t: 'ready' });
}

/** Frames are handled strictly in order, one at a time. */
function receive({ meta, body }: Frame): void {
  queue = queue
    .then(async () => {
      const parsed = (await frameSchemas()).ToShim.safeParse(meta);
      if (!parsed.success) {
        const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(frame)'}: ${i.code}`).join('; ');
        protocolFailure(`invalid frame from the invoker: ${where}`);
      }
      const frame = parsed.data;
      await (frame.t === 'init' ? initialise(frame) : invoke(frame, body));
    })
    .catch((err) => protocolFailure(`shim failure: ${(err as Error)?.stack ?? String(err)}`));
}

async function initialise(init: InitFrame): Promise<void> {
  if (current.state !== 'empty') {
    const error = { name: 'AlreadyInitialised', message: 'this container has already received its init frame' };
    channel.send({ t: 'init-error', error, logs: [] });
    return;
  }
  prepareForCode();
  Object.assign(process.env, init.env);
  logs.install();
  const loaded = await answerOnce(() => {
    process.chdir(init.codeDir);
    return loadFunction(init.codeDir, init.entry);
  });
  if (loaded.state === 'ok') {
    current = { state: 'loaded', init, fn: loaded.value };
    // Init output stays in the capture and opens the first invocation's logs.
    channel.send({ t: 'init-ok', style: loaded.value.style });
  } else {
    const error = errorInfo(loaded.thrown);
    current = { state: 'failed', error };
    channel.send({ t: 'init-error', error, logs: logs.drain() });
  }
}

async function invoke(frame: InvokeFrame, body: Buffer): Promise<void> {
  if (current.state !== 'loaded') {
    const message = current.state === 'failed'
      ? `the function failed to initialise: ${current.error.message}`
      : 'invoke before init';
    channel.send({ t: 'error', id: frame.id, kind: 'error', error: { name: 'NotInitialised', message }, logs: [] });
    return;
  }
  const loaded = current;
  invocations += 1;
  const coldStart = invocations === 1 && frame.start !== 'warm';
  logs.begin(frame.id);
  const settled = await answerOnce(() => run(loaded, frame, body, coldStart));
  const outcome = settled.state === 'ok' ? settled.value : failed(settled.thrown);
  if (outcome.t === 'result') {
    const { status, headers } = outcome;
    channel.send({ t: 'result', id: frame.id, status, headers, logs: logs.drain() }, outcome.body);
  } else {
    const { name, message, stack } = outcome.error;
    logs.add('error', outcome.kind === 'error' ? stack ?? `${name}: ${message}` : `[tsfn] ${message}`);
    channel.send({ t: 'error', id: frame.id, kind: outcome.kind, error: outcome.error, logs: logs.drain() });
  }
}

/** Before any function code: no stray inherited descriptors, stack traces through source maps. */
function prepareForCode(): void {
  if (preparation === 'done') return;
  preparation = 'done';
  if (!process.argv.includes(FDS_CLOSED_FLAG)) closeInheritedFds();
  process.setSourceMapsEnabled(true);
}

function run(loaded: Extract<FunctionState, { state: 'loaded' }>, frame: InvokeFrame, body: Buffer, coldStart: boolean): Promise<Outcome> {
  const { init, fn } = loaded;
  const base = baseContext(init, frame, coldStart);
  return fn.style === 'fetch'
    ? runFetch(fn.fetch, frame, body, init.maxResponseBytes, base, (msg) => logs.add('error', msg))
    : runLambda(fn.handler, init, frame, body, base);
}

/**
 * Runs `start` as the request in flight. It settles once: by its own result,
 * or by the first uncaught exception or unhandled rejection, whichever comes
 * first; a handler that ends later is ignored.
 */
function answerOnce<T>(start: () => Promise<T>): Promise<Settled<T>> {
  return new Promise((resolve) => {
    let state: 'running' | 'settled' = 'running';
    const settle = (result: Settled<T>) => {
      if (state === 'settled') return;
      state = 'settled';
      inFlight = undefined;
      resolve(result);
    };
    inFlight = { fail: (thrown) => settle({ state: 'thrown', thrown }) };
    try {
      start().then((value) => settle({ state: 'ok', value }), (thrown) => settle({ state: 'thrown', thrown }));
    } catch (thrown) {
      settle({ state: 'thrown', thrown });
    }
  });
}

function uncaught(thrown: unknown): void {
  if (inFlight) {
    inFlight.fail(thrown);
    return;
  }
  const e = errorInfo(thrown);
  logs.add('error', `Uncaught ${e.stack ?? `${e.name}: ${e.message}`}`);
  if (current.state === 'empty') diagnostic(`uncaught before init: ${e.name}: ${e.message}`);
}
