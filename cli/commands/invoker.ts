import { once } from 'node:events';
import { loadConfig } from '../../core/config.js';
import { startTelemetry } from '../../core/telemetry/process-telemetry.js';
import { startInvoker } from '../../invoker/invoker.js';
import { parse } from '../args.js';
import type { Command } from '../context.js';
import { CliError, UsageError } from '../errors.js';

/** `tsfn invoker`: the invoker of this host (one per host, as root). SIGTERM drains it. */
const invoker: Command = async (argv, ctx) => {
  const { positionals } = parse(argv, {});
  if (positionals.length) throw new UsageError('usage: tsfn invoker (configured by the environment: REDIS_URL, DATABASE_URL, TSFN_* ...)');
  const config = loadConfig();
  if (!config.REDIS_URL || !config.DATABASE_URL) throw new CliError('Not configured', 'tsfn invoker needs REDIS_URL and DATABASE_URL');
  const telemetry = startTelemetry('tsfn-invoker');
  const inv = await startInvoker({ config, redisUrl: config.REDIS_URL, databaseUrl: config.DATABASE_URL });
  ctx.err(`invoker ${inv.id} running (memory budget ${config.TSFN_INVOKER_MEMORY_MIB} MiB, ${config.TSFN_PREWARM} stem cells)`);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  ctx.err(`invoker ${inv.id}: draining`);
  await inv.close();
  await telemetry.shutdown();
  return 0;
};
export default invoker;
