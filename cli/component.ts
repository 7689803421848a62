import { once } from 'node:events';
import { ConfigError, loadConfig, type Config } from '../core/config.js';
import { startTelemetry } from '../core/telemetry/process-telemetry.js';
import { parse } from './args.js';
import type { CliContext } from './context.js';
import { CliError, UsageError } from './errors.js';

export interface Running {
  /** The line printed once it runs. */
  banner: string;
  /** Printed when a signal asks it to stop, before close(). */
  stopping?: string;
  close(): Promise<void>;
}

export interface ComponentSpec {
  name: 'gateway' | 'invoker' | 'meter';
  usage: string;
  start(config: Config, urls: { redisUrl: string; databaseUrl: string }): Promise<Running>;
}

/** The configuration from `env`; a variable that is not valid is a usage error (exit 2, one line naming it). */
export function cliConfig(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * `tsfn gateway`, `tsfn invoker`, `tsfn meter`: one component in the
 * foreground, configured by the environment, with its own telemetry; SIGTERM
 * or SIGINT close it (the invoker drains) and it exits 0.
 */
export async function runComponent(argv: string[], ctx: CliContext, spec: ComponentSpec): Promise<number> {
  const { positionals } = parse(argv, {});
  if (positionals.length) throw new UsageError(spec.usage);
  const config = cliConfig();
  if (!config.REDIS_URL || !config.DATABASE_URL) {
    throw new CliError('Not configured', `tsfn ${spec.name} needs REDIS_URL and DATABASE_URL: the Redis and PostgreSQL the installation shares`);
  }
  const telemetry = startTelemetry(`tsfn-${spec.name}`);
  const running = await spec.start(config, { redisUrl: config.REDIS_URL, databaseUrl: config.DATABASE_URL });
  ctx.err(running.banner);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  if (running.stopping) ctx.err(running.stopping);
  await running.close();
  await telemetry.shutdown();
  return 0;
}
