import { shortId } from '../../core/ids.js';

/**
 * Owner ids name the process that owns a `tsfn/<owner>` subtree, so a later
 * run can tell a crashed owner's leftovers from a live neighbour's.
 */
const OWNER_ID = /^(?:inv|test)-(\d{1,10})-[A-Za-z0-9]+$/;
/** Linux never hands out pids above 2^22 (PID_MAX_LIMIT). */
const PID_MAX_LIMIT = 4_194_304;

export type OwnerState = 'alive' | 'dead' | 'unknown';

export function newOwnerId(kind: 'inv' | 'test', pid: number = process.pid): string {
  return `${kind}-${pid}-${shortId(4)}`;
}

export function isOwnerId(owner: string): boolean {
  return OWNER_ID.test(owner);
}

/** `unknown` for names that are not owner ids: not ours to judge, never reaped. */
export function ownerState(owner: string): OwnerState {
  const match = OWNER_ID.exec(owner);
  if (!match) return 'unknown';
  const pid = Number(match[1]);
  if (pid < 1) return 'unknown';
  if (pid > PID_MAX_LIMIT) return 'dead';
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'dead';
    return code === 'EPERM' ? 'alive' : 'unknown';
  }
}
