import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../core/paths.js';
import { freePort } from '../infra/services/free-port.js';
import { buildArtifact, deploy } from './support/artifacts.js';
import { testContext, type TestContext } from './support/context.js';
import { waitExit } from './support/invoker-process.js';
import { testConfig } from './support/platform.js';
import { requireRoot } from './support/root.js';

/**
 * The built CLI's processes (`tsfn gateway`, `tsfn invoker`) configured only
 * by the standard OTEL_* variables, exporting OTLP/HTTP to a stand-in
 * collector: one trace across both processes, Redis and PostgreSQL client
 * spans from the bundled CLI (whose ESM imports load ioredis and pg before
 * tracing starts), and the invoker's metrics pushed over OTLP.
 */
interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes: { key: string; value: Record<string, unknown> }[] }
interface Exported { service: string; scope: string; span: OtlpSpan }

let ctx: TestContext;
const children: ChildProcess[] = [];
let dataDir: string;
let sink: string;
let url: string;
let admin: string;

async function started(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<string> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b) => { out += b; });
  child.stderr!.on('data', (b) => { out += b; });
  const until = Date.now() + 30_000;
  while (!ready.test(out)) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited: ${out}`);
    if (Date.now() > until) throw new Error(`${args.join(' ')} did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v && Object.values(v)[0];
};

async function spans(): Promise<Exported[]> {
  const docs = await (await fetch(`${sink}/traces`)).json() as any[];
  return docs.flatMap((d) => d.resourceSpans.flatMap((rs: any) => {
    const service = rs.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue;
    return rs.scopeSpans.flatMap((ss: any) => ss.spans.map((span: OtlpSpan) => ({ service, scope: ss.scope.name, span })));
  }));
}

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  const sinkOut = await started([join(paths.root, 'test', 'support', 'otlp-sink.mjs')], { PATH: process.env.PATH, OTLP_SINK_KEEP: '1' }, /^\d+\n/);
  sink = `http://127.0.0.1:${sinkOut.trim()}`;
  const config = testConfig(ctx);
  dataDir = config.dataDir;
  admin = config.TSFN_ADMIN_KEY!;
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH, REDIS_URL: ctx.redisUrl, DATABASE_URL: ctx.databaseUrl, TSFN_PREFIX: ctx.prefix,
    TSFN_DB_SCHEMA: ctx.schema, TSFN_DATA_DIR: dataDir, TSFN_PORT: String(port), TSFN_ADMIN_KEY: admin,
    TSFN_PREWARM: '0', TSFN_INVOKER_MEMORY_MIB: '1024',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRIC_EXPORT_INTERVAL: '500',
  };
  const bin = join(paths.root, 'bin', 'tsfn.js');
  await started([bin, 'gateway'], env, /listening on/);
  await started([bin, 'invoker'], env, /running/);
});

afterAll(async () => {
  for (const c of children.reverse()) {
    if (c.exitCode === null) c.kill('SIGTERM');
    await waitExit(c, 15_000);
  }
  await ctx?.close();
});

describe('tsfn gateway and tsfn invoker with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('export one trace across both processes, with Redis and PostgreSQL client spans, and push metrics', async () => {
    const art = await buildArtifact({ 'index.ts': 'export default { fetch: (req: Request, ctx: any) => new Response(ctx.traceparent) };' });
    expect((await deploy(url, admin, 'otlp', {}, art.data)).status).toBe(201);
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${url}/fn/otlp`, { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
    expect(res.status).toBe(200);
    const fnTraceparent = await res.text();

    const until = Date.now() + 15_000;
    let mine: Exported[] = [];
    const complete = () => mine.some((e) => e.service === 'tsfn-invoker' && e.span.name === 'run')
      && mine.some((e) => e.service === 'tsfn-gateway' && e.span.kind === 2);
    while (!complete()) {
      if (Date.now() > until) throw new Error(`incomplete trace: ${mine.map((e) => `${e.service}/${e.span.name}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
      mine = (await spans()).filter((e) => e.span.traceId === traceId);
    }
    const byId = new Map(mine.map((e) => [e.span.spanId, e]));
    const gateway = mine.find((e) => e.service === 'tsfn-gateway' && e.span.kind === 2)!;
    const invoke = mine.find((e) => e.service === 'tsfn-invoker' && e.span.name === 'invoke otlp')!;
    const run = mine.find((e) => e.service === 'tsfn-invoker' && e.span.name === 'run')!;
    expect(byId.get(invoke.span.parentSpanId!)!.span.parentSpanId).toBe(gateway.span.spanId);
    expect(fnTraceparent).toBe(`00-${traceId}-${run.span.spanId}-01`);
    expect(attr(invoke.span, 'faas.coldstart')).toBe(true);

    const clients = (service: string, scope: string) => mine.filter((e) => e.service === service && e.scope === scope);
    expect(clients('tsfn-gateway', '@opentelemetry/instrumentation-ioredis').length).toBeGreaterThan(0);
    expect(clients('tsfn-gateway', '@opentelemetry/instrumentation-pg').length).toBeGreaterThan(0);
    expect(clients('tsfn-invoker', '@opentelemetry/instrumentation-ioredis').length).toBeGreaterThan(0);
    expect(clients('tsfn-invoker', '@opentelemetry/instrumentation-pg').length, 'the code layer fetched from PostgreSQL').toBeGreaterThan(0);

    const pushed = async () => {
      const docs = await (await fetch(`${sink}/metrics`)).json() as any[];
      return docs.flatMap((d) => d.resourceMetrics.flatMap((rm: any) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics.map((m: any) => ({
        service: rm.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue, metric: m,
      })))));
    };
    const mUntil = Date.now() + 10_000;
    let invocations: any;
    while (!(invocations = (await pushed()).filter((x) => x.service === 'tsfn-invoker' && x.metric.name === 'tsfn.invocations').at(-1))) {
      if (Date.now() > mUntil) throw new Error('no tsfn.invocations pushed by the invoker');
      await new Promise((r) => setTimeout(r, 200));
    }
    const point = invocations.metric.sum.dataPoints.find((dp: any) => dp.attributes.some((a: any) => a.key === 'function' && a.value.stringValue === 'otlp'));
    expect(Number(point.asInt ?? point.asDouble)).toBe(1);
  });
});
