import { readFileSync } from 'node:fs';
import { pairs, parse } from '../args.js';
import { problem, type ApiClient } from '../client.js';
import type { Command } from '../context.js';
import { CliError, UsageError } from '../errors.js';

export const usage = 'usage: tsfn invoke <name[@version]> [--data JSON|@file] [--method M] [--path P] [--header K:V]... [--async] [--report]';

/**
 * With --data alone (or --async) the function gets a JSON event through the
 * invoke API, as `aws lambda invoke` does; with --method, --path or --header it
 * gets an HTTP request through its trigger URL.
 */
const invoke: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {
    data: { type: 'string' }, method: { type: 'string' }, path: { type: 'string' },
    header: { type: 'string', multiple: true }, async: { type: 'boolean' }, report: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError(usage);
  const target = positionals[0]!;
  const m = /^([a-z][a-z0-9-]{0,62})(?:@([1-9][0-9]*))?$/.exec(target);
  if (!m) throw new UsageError(`"${target}" is not a function name (optionally @version)`);
  const [, name, version] = m;
  const data = values.data?.startsWith('@') ? readFileSync(values.data.slice(1), 'utf8') : values.data;
  const client = ctx.client(values);
  const http = values.method !== undefined || values.path !== undefined || values.header !== undefined;
  if (values.async && http) throw new UsageError('--async takes a JSON event (--data), not --method/--path/--header');

  if (values.async) {
    const body = await client.call('POST', `/v1/functions/${name}/invocations?mode=async`, { json: parseEvent(data) });
    ctx.out(values.json ? JSON.stringify(body) : `queued: ${body.invocationId}`);
    return 0;
  }
  let res: Response;
  if (http || data === undefined) {
    const path = values.path ?? '/';
    if (!path.startsWith('/')) throw new UsageError('--path must start with /');
    const headers = pairs(values.header, ':', '--header');
    res = await client.request(values.method ?? (data === undefined ? 'GET' : 'POST'),
      `/fn/${name}${version ? `@${version}` : ''}${path}`, { body: data, headers });
  } else {
    const q = version ? `&version=${version}` : '';
    res = await client.request('POST', `/v1/functions/${name}/invocations?mode=sync${q}`, { json: parseEvent(data) });
  }
  const id = res.headers.get('x-tsfn-invocation-id');
  if (!res.ok && res.headers.get('content-type')?.includes('application/problem+json')) {
    const err = await problem(res);
    if (values.report && id) await printReport(client, id, ctx.out, values.json);
    throw err;
  }
  const body = Buffer.from(await res.arrayBuffer());
  if (values.json) {
    ctx.out(JSON.stringify({ status: res.status, invocationId: id, start: res.headers.get('x-tsfn-cold-start'), body: body.toString('utf8') }));
  } else {
    process.stdout.write(body);
    if (body.length && body[body.length - 1] !== 10) process.stdout.write('\n');
  }
  if (values.report && id) await printReport(client, id, ctx.err, values.json);
  return res.ok ? 0 : 1;
};

function parseEvent(data: string | undefined): unknown {
  if (data === undefined) return null;
  try {
    return JSON.parse(data);
  } catch {
    throw new UsageError('--data must be JSON (or @file holding JSON)');
  }
}

/** The metering record lands a moment after the response; wait for it briefly. */
async function printReport(client: ApiClient, id: string, print: (s: string) => void, json?: boolean) {
  for (let i = 0; i < 50; i++) {
    const inv = await client.call('GET', `/v1/invocations/${id}`).catch(() => undefined);
    const rec = inv?.records?.at(-1);
    if (rec) {
      print(json ? JSON.stringify(rec)
        : `REPORT ${rec.invocationId} status: ${rec.status} start: ${rec.start} Duration: ${rec.durationMs.toFixed(2)} ms `
          + `Billed Duration: ${rec.billedMs} ms Memory Size: ${rec.memoryLimitMiB} MB `
          + `Max Memory Used: ${Math.round(rec.memoryPeakBytes / 1048576)} MB CPU: ${(rec.cpuUs / 1000).toFixed(1)} ms `
          + `Init Duration: ${rec.initMs.toFixed(2)} ms Cost: $${(rec.costMicros / 1e6).toFixed(9)}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError('No metering record', `invocation ${id} has no metering record yet; is the meter running?`);
}

export default invoke;
