import { randomBytes } from 'node:crypto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig, type Config } from '../../core/config.js';
import { startGateway, type Gateway } from '../../gateway/server.js';
import { startInvoker, type Invoker, type InvokerOptions } from '../../invoker/invoker.js';
import { startMeter, type RunningMeter } from '../../invoker/metering/start-meter.js';
import { startTracing } from '../../core/telemetry/tracing.js';
import type { TestContext } from './context.js';

/** Config for one test file: its own Redis prefix, schema, data dir and a random admin key. */
export function testConfig(ctx: Pick<TestContext, 'prefix' | 'schema' | 'dataDir'>, overrides: Record<string, string> = {}): Config & { dataDir: string } {
  const { dataDir } = ctx;
  const config = loadConfig({
    PATH: process.env.PATH,
    TSFN_PREFIX: ctx.prefix,
    TSFN_DB_SCHEMA: ctx.schema,
    TSFN_PORT: '0',
    TSFN_DATA_DIR: dataDir,
    TSFN_ADMIN_KEY: `admin-${randomBytes(16).toString('hex')}`,
    TSFN_PREWARM: '0',
    TSFN_INVOKER_MEMORY_MIB: '2048',
    ...overrides,
  });
  return Object.assign(config, { dataDir });
}

export interface TestPlatform {
  config: Config;
  gateway: Gateway;
  invoker?: Invoker;
  meter?: RunningMeter;
  admin: string;
  close(): Promise<void>;
}

/**
 * A real gateway (and invoker, unless told not to) over the test context's
 * Redis and PostgreSQL. With `spanExporter`, tracing is on for the process
 * (client instrumentations included) and every span ends up there.
 */
export async function startPlatform(ctx: TestContext, opts: {
  invoker?: boolean; meter?: boolean; env?: Record<string, string>; pool?: InvokerOptions['pool']; spanExporter?: SpanExporter;
} = {}): Promise<TestPlatform> {
  const tracing = opts.spanExporter ? startTracing({ serviceName: 'tsfn', exporter: opts.spanExporter }) : undefined;
  const config = testConfig(ctx, opts.env);
  const gateway = await startGateway({ config, redisUrl: ctx.redisUrl, databaseUrl: ctx.databaseUrl });
  const invoker = opts.invoker === false ? undefined
    : await startInvoker({ config, redisUrl: ctx.redisUrl, databaseUrl: ctx.databaseUrl, pool: opts.pool });
  const meter = opts.meter ? await startMeter({
    config, redisUrl: ctx.redisUrl, databaseUrl: ctx.databaseUrl, worker: { blockMs: 100 }, log: () => {},
  }) : undefined;
  return {
    config, gateway, invoker, meter, admin: config.TSFN_ADMIN_KEY!,
    async close() {
      await meter?.stop();
      await invoker?.close();
      await gateway.close();
      await tracing?.shutdown();
    },
  };
}
