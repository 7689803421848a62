import { z } from 'zod';
import * as zm from 'zod/mini';
import { LogLine } from '../../core/schemas/control.js';
import { MeteringRecord } from '../../core/schemas/invocation.js';
import { capLogs, storable, type CappedLogs } from './log-cap.js';

const INT4 = 2 ** 31 - 1;
const Text = z.string().min(1).max(1000).refine((s) => storable(s) === s, 'holds characters PostgreSQL cannot store');
const Time = z.string().datetime().refine((s) => Date.parse(s) >= 0, 'before 1970');

/**
 * A metering record the meter can store: the wire schema (SPEC §4) narrowed to
 * what the invocations table accepts, so that one bad entry is set aside on its
 * own instead of failing the insert of a whole batch. The bounds (1 TiB, 11
 * days of billed time) keep every product and sum within bigint.
 */
export const StorableRecord = MeteringRecord.extend({
  invocationId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'not a UUID'),
  attempt: z.number().int().min(1).max(INT4),
  account: Text,
  function: Text,
  version: z.number().int().min(-INT4).max(INT4),
  queuedAt: Time,
  startedAt: Time,
  endedAt: Time,
  billedMs: z.number().int().min(0).max(1e9),
  memoryLimitMiB: z.number().int().min(0).max(1_048_576),
  memoryPeakBytes: z.number().int().min(0),
  cpuUs: z.number().int().min(0).max(1e13),
  invoker: Text,
});

const LogPayload = zm.object({ lines: zm.array(LogLine), truncated: zm.optional(zm.boolean()) });

/** A stream entry whose record can be stored. */
export interface MeterEntry {
  id: string;
  /** The entry as read, kept to dead-letter it unchanged should PostgreSQL refuse it. */
  fields: string[];
  record: MeteringRecord;
  logs: CappedLogs | undefined;
}

/** A stream entry that cannot: moved to the dead-letter stream with the reason. */
export interface BadEntry {
  id: string;
  fields: string[];
  reason: string;
}

/**
 * Reads one entry of the metering stream (fields `r`: the record as JSON, and
 * optionally `l`: `{lines, truncated}`). Unreadable logs do not cost the record:
 * it is kept, with a line saying its logs were dropped.
 */
export function parseEntry(id: string, fields: string[], maxLogBytes?: number): MeterEntry | BadEntry {
  const r = field(fields, 'r');
  if (r === undefined) return { id, fields, reason: 'no field r (the record)' };
  const parsed = json(r);
  if (parsed === undefined) return { id, fields, reason: 'field r is not JSON' };
  const record = StorableRecord.safeParse(parsed);
  if (!record.success) {
    const issue = record.error.issues[0];
    return { id, fields, reason: `invalid record: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  const l = field(fields, 'l');
  if (l === undefined) return { id, fields, record: record.data, logs: undefined };
  const payload = LogPayload.safeParse(json(l));
  const ts = Date.parse(record.data.endedAt);
  const logs = payload.success
    ? capLogs(payload.data.lines, payload.data.truncated ?? false, maxLogBytes)
    : { lines: [{ ts, level: 'stderr' as const, msg: '[tsfn] this invocation\'s log lines were unreadable and were dropped' }], truncated: true };
  return { id, fields, record: record.data, logs: logs.lines.length ? logs : undefined };
}

export const isBad = (e: MeterEntry | BadEntry): e is BadEntry => 'reason' in e;

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function json(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
