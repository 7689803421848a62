import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { paths } from '../../core/paths.js';
import { startPostgres } from '../../infra/services/postgres-server.js';
import { startRedis } from '../../infra/services/redis-server.js';
import type { RunningService } from '../../infra/services/child-service.js';
import { pgReachable, redisReachable, sweepDeadRuns } from './shared-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    databaseUrl: string;
  }
}

/**
 * Builds what the tests run (launcher, shim bundle) and finds Redis and
 * PostgreSQL: REDIS_URL / DATABASE_URL when set, else this machine's servers
 * on their standard ports when they answer, else private servers started here.
 * Each test file then isolates itself (support/context.ts).
 */
export default async function setup(project: TestProject) {
  execFileSync('make', ['-s', '-C', join(paths.root, 'native')], { stdio: 'inherit' });
  execFileSync(process.execPath, [join(paths.root, 'scripts', 'build.mjs')], { stdio: 'inherit' });

  const started: RunningService[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'tsfn-test-services-'));
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    if (await redisReachable('redis://127.0.0.1:6379')) redisUrl = 'redis://127.0.0.1:6379';
    else {
      const r = await startRedis({ dir: join(scratch, 'redis'), persist: false });
      started.push(r);
      redisUrl = r.url;
    }
  }
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const local = 'postgres://postgres@127.0.0.1:5432/test';
    if (await pgReachable(local)) databaseUrl = local;
    else {
      const p = await startPostgres({ dir: join(scratch, 'postgres'), durable: false });
      started.push(p);
      databaseUrl = p.url;
    }
  }
  await sweepDeadRuns(redisUrl, databaseUrl);
  project.provide('redisUrl', redisUrl);
  project.provide('databaseUrl', databaseUrl);

  return async () => {
    await sweepDeadRuns(redisUrl, databaseUrl);
    for (const s of started.reverse()) await s.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
}
