/**
 * The pool's decisions as pure functions over a snapshot of its containers,
 * in the manner of OpenWhisk's ContainerPool.schedule / remove: no I/O, no
 * clocks, so every rule has a unit test.
 */
export type SlotState = 'starting' | 'idle' | 'busy';

export interface Slot {
  id: string;
  /** Function version key (name@version:digest); undefined for a stem cell (prewarmed, no code). */
  key: string | undefined;
  state: SlotState;
  memoryMiB: number;
  /** When it last finished an invocation (epoch ms); idle ordering and keep-alive. */
  lastUsed: number;
}

export interface Want {
  key: string;
  memoryMiB: number;
  /** Most containers of this function at once. */
  concurrency: number;
}

export type Decision =
  | { kind: 'warm'; id: string }
  | { kind: 'prewarm'; id: string; evict: string[] }
  | { kind: 'cold'; evict: string[] }
  /** The function is at its concurrency: wait for one of its containers. */
  | { kind: 'wait' }
  /** The host's memory budget is full of busy containers: leave the job for another invoker. */
  | { kind: 'full' };

export const usedMiB = (slots: readonly Slot[]): number => slots.reduce((n, s) => n + s.memoryMiB, 0);

export function schedule(slots: readonly Slot[], want: Want, budgetMiB: number): Decision {
  const warm = slots
    .filter((s) => s.key === want.key && s.state === 'idle')
    .sort((a, b) => b.lastUsed - a.lastUsed)[0];
  if (warm) return { kind: 'warm', id: warm.id };
  if (slots.filter((s) => s.key === want.key).length >= want.concurrency) return { kind: 'wait' };

  // A stem cell takes on the function's memory limit (the shim sets no V8 heap
  // limit of its own), so it may need room for the difference.
  const stem = slots.find((s) => s.key === undefined && s.state === 'idle');
  if (stem) {
    const evict = victims(slots, want.memoryMiB - stem.memoryMiB, budgetMiB, new Set([stem.id]));
    if (evict) return { kind: 'prewarm', id: stem.id, evict };
  }
  const evict = victims(slots, want.memoryMiB, budgetMiB, new Set());
  return evict ? { kind: 'cold', evict } : { kind: 'full' };
}

/**
 * The least recently used idle containers to destroy so that `needMiB` more
 * fits in the budget ([] when it fits already), or undefined when even
 * evicting every idle container would not make room. Idle function
 * containers go before stem cells, which any function can use.
 */
export function victims(slots: readonly Slot[], needMiB: number, budgetMiB: number, keep: ReadonlySet<string>): string[] | undefined {
  let excess = usedMiB(slots) + needMiB - budgetMiB;
  if (excess <= 0) return [];
  const idle = slots
    .filter((s) => s.state === 'idle' && !keep.has(s.id))
    .sort((a, b) => Number(a.key === undefined) - Number(b.key === undefined) || a.lastUsed - b.lastUsed);
  const out: string[] = [];
  for (const s of idle) {
    out.push(s.id);
    excess -= s.memoryMiB;
    if (excess <= 0) return out;
  }
  return undefined;
}

/** Idle function containers past their keep-alive, sparing the newest `minWarm` of each function. */
export function expired(slots: readonly Slot[], now: number, keepAliveMs: number, minWarm: ReadonlyMap<string, number>): string[] {
  const byKey = new Map<string, Slot[]>();
  for (const s of slots) {
    if (s.key === undefined || s.state !== 'idle') continue;
    byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
  }
  const out: string[] = [];
  for (const [key, list] of byKey) {
    const spare = minWarm.get(key) ?? 0;
    list.sort((a, b) => b.lastUsed - a.lastUsed)
      .slice(spare)
      .filter((s) => now - s.lastUsed >= keepAliveMs)
      .forEach((s) => out.push(s.id));
  }
  return out;
}

/** How many stem cells to start so that `target` exist, within the budget. */
export function stemsToStart(slots: readonly Slot[], target: number, stemMiB: number, budgetMiB: number): number {
  const have = slots.filter((s) => s.key === undefined).length;
  const room = Math.floor((budgetMiB - usedMiB(slots)) / stemMiB);
  return Math.max(0, Math.min(target - have, room));
}

/** How many containers of `key` to start so that `minWarm` exist (counting busy and starting ones), within the budget. */
export function warmToStart(slots: readonly Slot[], key: string, minWarm: number, memoryMiB: number, budgetMiB: number): number {
  const have = slots.filter((s) => s.key === key).length;
  const room = Math.floor((budgetMiB - usedMiB(slots)) / memoryMiB);
  return Math.max(0, Math.min(minWarm - have, room));
}

/**
 * This invoker's part of a function's `minWarm`, so that the live invokers
 * together keep `minWarm` containers, not each of them (Lambda's provisioned
 * concurrency is per function, spread over hosts). Every invoker computes the
 * same split from the same set of live invokers: each keeps
 * floor(minWarm / n), and the remainder goes to the invokers that follow
 * a point fixed by the function's key in the sorted ids, so that functions with
 * minWarm 1 spread over the hosts instead of all landing on the first.
 * `self` counts as live even before its first heartbeat is seen.
 */
export function minWarmShare(minWarm: number, liveInvokers: readonly string[], self: string, key: string): number {
  const ids = [...new Set([...liveInvokers, self])].sort();
  const n = ids.length;
  const rank = ids.indexOf(self);
  const offset = fnv1a(key) % n;
  return Math.floor(minWarm / n) + ((rank - offset + n) % n < minWarm % n ? 1 : 0);
}

/** 32-bit FNV-1a of a string's UTF-16 code units: a spread, not a secret. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
