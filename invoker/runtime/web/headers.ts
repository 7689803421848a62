/**
 * The Fetch standard's Headers, as the runtime shim's own class: Node 20
 * evaluates all of undici (its HTTP/1 and HTTP/2 clients, TLS, about 30 ms
 * here) on the first use of its fetch classes, which a cold start of a
 * fetch-style function would otherwise pay. Behaviour follows undici 6, and
 * fetch-classes.test.ts checks it side by side with Node's own class.
 */

export type HeadersGuard = 'none' | 'immutable';

/** RFC 9110's token: what a header name, and a method, may be made of. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const INVALID_VALUE = /[\0\r\n]/;

/** One entry per append, in order; names kept lower-case. */
type Entry = [name: string, value: string];

// Module functions over the private state, not statics: user code sees the class.
export let setGuard: (headers: LightHeaders, guard: HeadersGuard) => void;
export let isLightHeaders: (value: unknown) => value is LightHeaders;

export class LightHeaders {
  #entries: Entry[] = [];
  #guard: HeadersGuard = 'none';

  constructor(init?: unknown) {
    if (init === undefined) return;
    fillHeaders(this, init, 'Headers constructor');
  }

  append(name: string, value: string): void {
    const [n, v] = checked(name, value, 'Headers.append');
    this.#mutable();
    this.#entries.push([n, v]);
  }

  delete(name: string): void {
    const n = checkedName(name, 'Headers.delete');
    this.#mutable();
    this.#entries = this.#entries.filter(([k]) => k !== n);
  }

  get(name: string): string | null {
    const n = checkedName(name, 'Headers.get');
    const values = this.#entries.filter(([k]) => k === n).map(([, v]) => v);
    return values.length ? values.join(', ') : null;
  }

  getSetCookie(): string[] {
    return this.#entries.filter(([k]) => k === 'set-cookie').map(([, v]) => v);
  }

  has(name: string): boolean {
    const n = checkedName(name, 'Headers.has');
    return this.#entries.some(([k]) => k === n);
  }

  set(name: string, value: string): void {
    const [n, v] = checked(name, value, 'Headers.set');
    this.#mutable();
    const at = this.#entries.findIndex(([k]) => k === n);
    if (at < 0) {
      this.#entries.push([n, v]);
      return;
    }
    this.#entries[at] = [n, v];
    this.#entries = this.#entries.filter(([k], i) => i <= at || k !== n);
  }

  forEach(callback: (value: string, name: string, parent: LightHeaders) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') {
      throw new TypeError("Headers.forEach: Argument 1 could not be converted to: Function.");
    }
    for (const [name, value] of this.#sorted()) callback.call(thisArg, value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    yield* this.#sorted();
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.#sorted()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.#sorted()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }

  [Symbol.for('nodejs.util.inspect.custom')](depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `Headers ${inspect(Object.fromEntries(this.#sorted()), { ...options, depth })}`;
  }

  static {
    setGuard = (headers, guard) => {
      headers.#guard = guard;
    };
    isLightHeaders = (value): value is LightHeaders => typeof value === 'object' && value !== null && #entries in value;
  }

  #mutable(): void {
    if (this.#guard === 'immutable') throw new TypeError('immutable');
  }

  /** The spec's "sort and combine": by name, values of a name joined, Set-Cookie never joined. */
  #sorted(): Array<[string, string]> {
    const byName = new Map<string, string[]>();
    for (const [name, value] of this.#entries) {
      const values = byName.get(name);
      if (values) values.push(value);
      else byName.set(name, [value]);
    }
    const out: Array<[string, string]> = [];
    for (const name of [...byName.keys()].sort()) {
      const values = byName.get(name)!;
      if (name === 'set-cookie') for (const cookie of values) out.push([name, cookie]);
      else out.push([name, values.join(', ')]);
    }
    return out;
  }
}

Object.defineProperty(LightHeaders, 'name', { value: 'Headers' });

/** Appends `init` (a sequence of pairs or a record, as WebIDL reads them) to `headers`. */
export function fillHeaders(headers: LightHeaders, init: unknown, context: string): void {
  if (typeof init !== 'object' && typeof init !== 'function' || init === null) {
    throw new TypeError(`${context}: Argument 1 could not be converted to one of: sequence<sequence<ByteString>>, record<ByteString, ByteString>.`);
  }
  const iterator = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
  if (iterator !== undefined && iterator !== null) {
    if (typeof iterator !== 'function') throw new TypeError(`${context}: Symbol.iterator is not callable.`);
    for (const pair of init as Iterable<unknown>) {
      const items = typeof pair === 'string' ? null : [...(pair as Iterable<unknown>)];
      if (!items || items.length !== 2) {
        throw new TypeError(`${context}: expected name/value pair to be length 2, found ${items?.length ?? 0}.`);
      }
      headers.append(byteString(items[0]), byteString(items[1]));
    }
    return;
  }
  for (const key of Reflect.ownKeys(init)) {
    const desc = Reflect.getOwnPropertyDescriptor(init, key);
    if (!desc?.enumerable) continue;
    if (typeof key === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
    headers.append(byteString(key), byteString((init as Record<string, unknown>)[key]));
  }
}

/** WebIDL's ByteString: a string of code units at most 0xFF. */
export function byteString(value: unknown): string {
  const s = String(value);
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code > 255) {
      throw new TypeError(`Cannot convert argument to a ByteString because the character at index ${i} has a value of ${code} which is greater than 255.`);
    }
  }
  return s;
}

function checkedName(name: unknown, context: string): string {
  const n = byteString(name);
  if (!TOKEN.test(n)) throw new TypeError(`${context}: "${n}" is an invalid header name.`);
  return n.toLowerCase();
}

function checked(name: unknown, value: unknown, context: string): Entry {
  const n = checkedName(name, context);
  const v = byteString(value).replace(EDGE_WHITESPACE, '');
  if (INVALID_VALUE.test(v)) throw new TypeError(`${context}: "${v}" is an invalid header value.`);
  return [n, v];
}
