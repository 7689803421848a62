/**
 * Node's own fetch classes (undici's), kept reachable after the shim's classes
 * take their global names. Node defines them as lazy getters on globalThis:
 * the getters are saved, and called (undici evaluated) only when something
 * needs the real thing: `fetch()`, multipart FormData.
 */
export interface RealFetchClasses {
  Headers: typeof Headers;
  Request: typeof Request;
  Response: typeof Response;
  FormData: typeof FormData;
  fetch: typeof fetch;
}

const NAMES = ['Headers', 'Request', 'Response', 'FormData', 'fetch'] as const;
const saved = new Map<string, PropertyDescriptor>();

/** Saves the global descriptors; call before replacing any of them. */
export function saveRealFetchClasses(): void {
  for (const name of NAMES) {
    const desc = Object.getOwnPropertyDescriptor(globalThis, name);
    if (desc && !saved.has(name)) saved.set(name, desc);
  }
}

let real: RealFetchClasses | undefined;

export function realFetchClasses(): RealFetchClasses {
  if (real) return real;
  const out: Record<string, unknown> = {};
  for (const name of NAMES) {
    const desc = saved.get(name);
    out[name] = desc ? (desc.get ? desc.get.call(globalThis) : desc.value) : (globalThis as Record<string, unknown>)[name];
  }
  real = out as unknown as RealFetchClasses;
  return real;
}

/** Whether undici's classes were asked for (and so loaded) through here. */
export function realLoaded(): boolean {
  return real !== undefined;
}
