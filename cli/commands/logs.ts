import { parse } from '../args.js';
import { problem } from '../client.js';
import type { Command } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import type { LogEntry } from '../../gateway/store/log-store.js';

export const usage = 'usage: tsfn logs <name> [-f] [--since 10m] [--invocation ID] [--limit N]';

/** A function's log lines as `time invocation-id line`; -f follows (Server-Sent Events) until Ctrl-C. */
const logs: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {
    follow: { type: 'boolean', short: 'f' }, since: { type: 'string' }, invocation: { type: 'string' }, limit: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError(usage);
  const name = positionals[0]!;
  const q = new URLSearchParams();
  if (values.since) q.set('since', values.since);
  if (values.invocation) q.set('invocation', values.invocation);
  if (values.limit) q.set('limit', values.limit);
  const client = ctx.client(values);
  const print = (l: LogEntry) => ctx.out(values.json ? JSON.stringify(l) : `${l.time} ${l.invocationId} ${l.msg}`);
  const path = `/v1/functions/${encodeURIComponent(name)}/logs`;
  if (!values.follow) {
    const body = await client.call<{ lines: LogEntry[] }>('GET', `${path}?${q}`);
    for (const l of body.lines) print(l);
    return 0;
  }
  q.set('follow', '1');
  const res = await client.request('GET', `${path}?${q}`, { headers: { accept: 'text/event-stream' } });
  if (!res.ok) throw await problem(res);
  if (!res.body) throw new CliError('No stream', 'the gateway answered without a body');
  const ctrl = new AbortController();
  const stop = () => ctrl.abort();
  process.once('SIGINT', stop);
  try {
    await readEvents(res.body, (data) => print(JSON.parse(data) as LogEntry), ctrl.signal);
  } finally {
    process.off('SIGINT', stop);
  }
  return 0;
};

/** Calls `onData` with the data of each `log` event of a Server-Sent Events stream, until it ends or `signal` aborts. */
export async function readEvents(body: ReadableStream<Uint8Array>, onData: (data: string) => void, signal?: AbortSignal): Promise<void> {
  const decoder = new TextDecoder();
  let buf = '';
  const reader = body.getReader();
  signal?.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true as const, value: undefined }));
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (event === 'log' && data.length) onData(data.join('\n'));
    }
  }
}

export default logs;
