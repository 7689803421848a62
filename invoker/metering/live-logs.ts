import { z } from 'zod';
import { LogLine } from '../../core/schemas/control.js';

/**
 * What the meter publishes on a function's live-logs channel
 * (`redisKeys(prefix).logs(fn)`) once an invocation's lines are stored;
 * the gateway forwards it to `tsfn logs -f` followers.
 */
export const LiveLogs = z.object({
  invocationId: z.string(),
  attempt: z.number().int(),
  account: z.string(),
  function: z.string(),
  lines: z.array(LogLine),
});
export type LiveLogs = z.infer<typeof LiveLogs>;
