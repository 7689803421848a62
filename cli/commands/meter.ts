import { ConfigError, loadConfig } from '../../core/config.js';
import { startTelemetry } from '../../core/telemetry/process-telemetry.js';
import { runMeter } from '../../invoker/metering/start-meter.js';
import { parse } from '../args.js';
import type { Command } from '../context.js';
import { CliError, UsageError } from '../errors.js';

/**
 * `tsfn meter`: the meter worker alone, in the foreground, for installations
 * that run it apart from `tsfn up`. SIGTERM or SIGINT finish the batch in
 * flight and exit.
 */
const meter: Command = async (argv, ctx) => {
  const { positionals } = parse(argv, {});
  if (positionals.length) throw new UsageError('usage: tsfn meter (configured by REDIS_URL, DATABASE_URL, TSFN_PREFIX, TSFN_DB_SCHEMA)');
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  if (!config.REDIS_URL || !config.DATABASE_URL) {
    throw new CliError('Not configured', 'tsfn meter needs REDIS_URL and DATABASE_URL: the Redis and PostgreSQL the gateways and invokers use');
  }
  const telemetry = startTelemetry('tsfn-meter');
  await runMeter(config, ctx.err);
  await telemetry.shutdown();
  return 0;
};
export default meter;
