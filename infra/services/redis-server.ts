import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { findBinary } from './find-binary.js';
import { freePort } from './free-port.js';
import { spawnService, waitReady, type RunningService } from './child-service.js';

export interface RedisOptions {
  /** Working directory of the server (its append-only file lives here when persisting). */
  dir: string;
  /** Keep data across restarts (append-only file, fsync every second). */
  persist: boolean;
}

/** Starts a private redis-server on a free loopback port. */
export async function startRedis(opts: RedisOptions): Promise<RunningService> {
  const bin = findBinary('redis-server', ['/usr/sbin', '/usr/local/sbin']);
  if (!bin) throw new Error('redis-server not found: install it (apt-get install redis-server) or set REDIS_URL');
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', opts.dir, '--daemonize', 'no',
    '--save', '', '--protected-mode', 'yes', '--loglevel', 'warning',
    '--appendonly', opts.persist ? 'yes' : 'no', '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
  ];
  const svc = spawnService(bin, args);
  const url = `redis://127.0.0.1:${port}`;
  await waitReady(svc, 'redis-server', async () => {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } finally {
      r.disconnect();
    }
  });
  return { url, stop: () => svc.stop() };
}
