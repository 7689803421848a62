import { once } from 'node:events';
import { loadConfig } from '../../core/config.js';
import { startTelemetry } from '../../core/telemetry/process-telemetry.js';
import { startGateway } from '../../gateway/server.js';
import { parse } from '../args.js';
import type { Command } from '../context.js';
import { CliError, UsageError } from '../errors.js';

/** `tsfn gateway`: one gateway (stateless; run as many as you like behind a load balancer). */
const gateway: Command = async (argv, ctx) => {
  const { positionals } = parse(argv, {});
  if (positionals.length) throw new UsageError('usage: tsfn gateway (configured by the environment: REDIS_URL, DATABASE_URL, TSFN_PORT, ...)');
  const config = loadConfig();
  if (!config.REDIS_URL || !config.DATABASE_URL) throw new CliError('Not configured', 'tsfn gateway needs REDIS_URL and DATABASE_URL');
  const telemetry = startTelemetry('tsfn-gateway');
  const gw = await startGateway({ config, redisUrl: config.REDIS_URL, databaseUrl: config.DATABASE_URL });
  ctx.err(`gateway ${gw.id} listening on ${gw.url}`);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await gw.close();
  await telemetry.shutdown();
  return 0;
};
export default gateway;
