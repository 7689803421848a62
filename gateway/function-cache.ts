import type { Redis } from 'ioredis';
import { NotFound } from '../core/errors.js';
import { NO_TRACE, type Within } from '../core/telemetry/trace-context.js';
import type { FunctionRow, FunctionStore, VersionRow } from './store/function-store.js';

export interface ResolvedFunction {
  fn: FunctionRow;
  version: VersionRow;
}

const TTL_MS = 30_000;

/**
 * Function lookups on the invocation path, cached per gateway. Deploys,
 * rollbacks and deletes publish the function's name on a channel every gateway
 * listens to, so a change is seen at once; the TTL covers a missed message.
 */
export class FunctionCache {
  private entries = new Map<string, { value: Promise<ResolvedFunction>; until: number }>();

  constructor(private readonly store: FunctionStore) {}

  /** Subscribes `sub` (a connection in subscriber mode) to change notices. */
  async listen(sub: Redis, channel: string): Promise<void> {
    sub.on('message', (ch: string, name: string) => {
      if (ch === channel) this.drop(name);
    });
    await sub.subscribe(channel);
  }

  /** `within` runs the PostgreSQL queries of a lookup (a TraceScope's, so that they are traced under the request). */
  resolve(name: string, version?: number, within: Within = NO_TRACE.within): Promise<ResolvedFunction> {
    const key = version === undefined ? name : `${name}@${version}`;
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = this.load(name, version, within);
    this.entries.set(key, { value, until: now + TTL_MS });
    value.catch(() => this.entries.delete(key));
    return value;
  }

  drop(name: string): void {
    for (const key of this.entries.keys()) {
      if (key === name || key.startsWith(`${name}@`)) this.entries.delete(key);
    }
  }

  private async load(name: string, version: number | undefined, within: Within): Promise<ResolvedFunction> {
    const fn = await within(() => this.store.get(name));
    if (!fn) throw new NotFound(`no function named ${name}`);
    return { fn, version: await within(() => this.store.version(name, version)) };
  }
}
