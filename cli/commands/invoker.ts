import { startInvoker } from '../../invoker/invoker.js';
import { runComponent } from '../component.js';
import type { Command } from '../context.js';

export const usage = 'usage: tsfn invoker (configured by the environment: REDIS_URL, DATABASE_URL, TSFN_* ...)';

/** `tsfn invoker`: the invoker of this host (one per host, as root). SIGTERM drains it. */
const invoker: Command = (argv, ctx) => runComponent(argv, ctx, {
  name: 'invoker',
  usage,
  async start(config, urls) {
    const inv = await startInvoker({ config, ...urls });
    return {
      banner: `invoker ${inv.id} running (memory budget ${config.TSFN_INVOKER_MEMORY_MIB} MiB, ${config.TSFN_PREWARM} stem cells)`,
      stopping: `invoker ${inv.id}: draining`,
      close: () => inv.close(),
    };
  },
});
export default invoker;
