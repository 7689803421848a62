import { startGateway } from '../../gateway/server.js';
import { runComponent } from '../component.js';
import type { Command } from '../context.js';

export const usage = 'usage: tsfn gateway (configured by the environment: REDIS_URL, DATABASE_URL, TSFN_PORT, ...)';

/** `tsfn gateway`: one gateway (stateless; run as many as you like behind a load balancer). */
const gateway: Command = (argv, ctx) => runComponent(argv, ctx, {
  name: 'gateway',
  usage,
  async start(config, urls) {
    const gw = await startGateway({ config, ...urls });
    return { banner: `gateway ${gw.id} listening on ${gw.url}`, close: () => gw.close() };
  },
});
export default gateway;
