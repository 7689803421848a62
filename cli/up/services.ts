import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import type { RunningService } from '../../infra/services/child-service.js';
import { startPostgres } from '../../infra/services/postgres-server.js';
import { startRedis } from '../../infra/services/redis-server.js';

export interface Backbone {
  redisUrl: string;
  databaseUrl: string;
  started: RunningService[];
}

/** REDIS_URL / DATABASE_URL when set, else private, persistent servers under the data directory. */
export async function startBackbone(config: Config, log: (s: string) => void): Promise<Backbone> {
  const started: RunningService[] = [];
  let redisUrl = config.REDIS_URL;
  if (!redisUrl) {
    const r = await startRedis({ dir: join(config.TSFN_DATA_DIR, 'redis'), persist: true });
    started.push(r);
    redisUrl = r.url;
    log(`redis:      ${redisUrl} (private, data in ${join(config.TSFN_DATA_DIR, 'redis')})`);
  }
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    try {
      const p = await startPostgres({ dir: join(config.TSFN_DATA_DIR, 'postgres'), durable: true });
      started.push(p);
      databaseUrl = p.url;
      log(`postgresql: ${databaseUrl} (private)`);
    } catch (err) {
      for (const s of started) await s.stop();
      throw err;
    }
  }
  return { redisUrl, databaseUrl, started };
}
