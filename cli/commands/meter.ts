import { redisKeys } from '../../core/redis-keys.js';
import { startMeter } from '../../invoker/metering/start-meter.js';
import { runComponent } from '../component.js';
import type { Command } from '../context.js';

export const usage = 'usage: tsfn meter (configured by REDIS_URL, DATABASE_URL, TSFN_PREFIX, TSFN_DB_SCHEMA)';

/**
 * `tsfn meter`: the meter worker alone, in the foreground, for installations
 * that run it apart from `tsfn up`. SIGTERM or SIGINT finish the batch in
 * flight and exit.
 */
const meter: Command = (argv, ctx) => runComponent(argv, ctx, {
  name: 'meter',
  usage,
  async start(config, urls) {
    const m = await startMeter({ config, ...urls, log: (line) => ctx.err(line) });
    return {
      banner: `meter: ${m.worker.consumer} draining ${redisKeys(config.TSFN_PREFIX).meteringStream}`,
      close: () => m.stop(),
    };
  },
});
export default meter;
