import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { paths } from '../../core/paths.js';
import type { RunningService } from '../../infra/services/child-service.js';
import { findServices, sweepDeadRuns } from './shared-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    databaseUrl: string;
    dataDir: string;
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
  // A private PostgreSQL runs as an unprivileged user, who must reach its data directory.
  chmodSync(scratch, 0o755);
  const { redisUrl, databaseUrl } = await findServices(scratch, started);
  await sweepDeadRuns(redisUrl, databaseUrl);
  project.provide('redisUrl', redisUrl);
  project.provide('databaseUrl', databaseUrl);
  project.provide('dataDir', join(scratch, 'data'));

  return async () => {
    await sweepDeadRuns(redisUrl, databaseUrl);
    for (const s of started.reverse()) await s.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
}
