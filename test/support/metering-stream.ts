import type { Redis } from 'ioredis';
import { redisKeys } from '../../core/redis-keys.js';
import type { LogLine } from '../../core/schemas/control.js';
import { MeteringRecord } from '../../core/schemas/invocation.js';

/** The metering stream's entries as records and logs, for an invocation id (waits up to 5 s for it). */
export async function streamEntry(redis: Redis, prefix: string, invocationId: string, attempt = 1) {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    const entries = await redis.xrange(redisKeys(prefix).meteringStream, '-', '+');
    for (const [, fields] of entries) {
      const f = Object.fromEntries(fields.reduce<[string, string][]>((acc, v, i) => (i % 2 ? acc : [...acc, [v, fields[i + 1]!]]), []));
      const record = MeteringRecord.parse(JSON.parse(f.r!));
      if (record.invocationId === invocationId && record.attempt === attempt) {
        const logs = f.l ? (JSON.parse(f.l) as { lines: LogLine[] }).lines : [];
        return { record, logs };
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no metering record for ${invocationId}`);
}
