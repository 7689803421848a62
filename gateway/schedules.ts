import type { Queue } from 'bullmq';
import cronParser from 'cron-parser';
import { BadRequest } from '../core/errors.js';
import type { InvocationJob } from '../core/schemas/invocation.js';
import { toSpec, type VersionRow } from './store/function-store.js';

const schedulerId = (name: string) => `fn:${name}`;

export function validateSchedule(expr: string): void {
  try {
    cronParser.parseExpression(expr);
  } catch (err) {
    throw new BadRequest(`schedule "${expr}" is not a valid cron expression: ${(err as Error).message}`);
  }
}

/**
 * Keeps the function's BullMQ job scheduler in step with its latest version:
 * added, changed or removed with every deploy, rollback or delete.
 */
export async function syncSchedule(queue: Queue, account: string, latest: VersionRow | undefined, name: string): Promise<void> {
  const schedule = latest?.manifest.schedule;
  if (!latest || !schedule) {
    await queue.removeJobScheduler(schedulerId(name));
    return;
  }
  const event = { source: 'tsfn.schedule', function: name, schedule };
  const data: InvocationJob = {
    fn: toSpec(account, latest),
    trigger: 'schedule',
    kind: 'event',
    http: { method: 'POST', path: '/', query: '', headers: [['content-type', 'application/json']] },
    bodyB64: Buffer.from(JSON.stringify(event)).toString('base64'),
  };
  await queue.upsertJobScheduler(schedulerId(name), { pattern: schedule }, {
    name: 'invoke',
    data,
    opts: {
      attempts: latest.manifest.retries + 1,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 86400 },
      removeOnFail: { age: 7 * 86400 },
    },
  });
}
