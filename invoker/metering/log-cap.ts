import { LOG_CAP_BYTES, TRUNCATED_MARKER } from '../../core/metering.js';
import type { LogLine } from '../../core/schemas/control.js';

export interface CappedLogs {
  lines: LogLine[];
  truncated: boolean;
}

/**
 * The meter's own guard over the invoker's cap (same size, same marker line,
 * core/metering.ts): keeps lines while their messages
 * fit in `maxBytes` (UTF-8), cuts the line that crosses it, and ends with a
 * marker line.
 */
export function capLogs(lines: LogLine[], truncated: boolean, maxBytes = LOG_CAP_BYTES): CappedLogs {
  const out: LogLine[] = [];
  let budget = maxBytes;
  let cut = false;
  for (const line of lines) {
    // The invoker's own marker ends its capped lines; it does not count against the budget.
    if (line.msg === TRUNCATED_MARKER) {
      cut = true;
      break;
    }
    const msg = storable(line.msg);
    const size = Buffer.byteLength(msg);
    if (size <= budget) {
      out.push(msg === line.msg ? line : { ...line, msg });
      budget -= size;
      continue;
    }
    if (budget > 0) out.push({ ...line, msg: utf8Prefix(msg, budget) });
    cut = true;
    break;
  }
  if (cut) out.push({ ts: out.at(-1)?.ts ?? lines[0]!.ts, level: 'stderr', msg: TRUNCATED_MARKER });
  return { lines: out, truncated: truncated || cut };
}

/** The longest prefix of `s` whose UTF-8 encoding fits in `bytes`, never splitting a character. */
function utf8Prefix(s: string, bytes: number): string {
  const buf = Buffer.from(s).subarray(0, bytes);
  let end = buf.length;
  // Step back over a trailing partial sequence: continuation bytes are 10xxxxxx.
  let i = end - 1;
  while (i >= 0 && (buf[i]! & 0xc0) === 0x80) i--;
  if (i >= 0) {
    const lead = buf[i]!;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (end - i < need) end = i;
  }
  return buf.subarray(0, end).toString('utf8');
}

const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `s` with what PostgreSQL's jsonb refuses (NUL, lone UTF-16 surrogates) replaced by U+FFFD. */
export const storable = (s: string): string => s.replace(UNSTORABLE, '\uFFFD');
