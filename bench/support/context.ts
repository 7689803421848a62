import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningService } from '../../infra/services/child-service.js';
import { isolatedSlice, type TestContext } from '../../test/support/context.js';
import { findServices } from '../../test/support/shared-services.js';

export type BenchContext = TestContext;

/**
 * Redis and PostgreSQL for a benchmark, found as the tests find them
 * (REDIS_URL / DATABASE_URL, else the local servers, else private, durable
 * ones), under a private prefix and schema removed at the end.
 */
export async function benchContext(): Promise<BenchContext> {
  const scratch = mkdtempSync(join(tmpdir(), 'tsfn-bench-'));
  chmodSync(scratch, 0o755);
  const started: RunningService[] = [];
  const { redisUrl, databaseUrl } = await findServices(scratch, started, { durable: true });
  const slice = await isolatedSlice(redisUrl, databaseUrl, join(scratch, 'data'));
  return {
    ...slice,
    async close() {
      await slice.close();
      for (const s of started.reverse()) await s.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
