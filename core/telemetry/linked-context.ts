import type { Context } from '@opentelemetry/api';

/** Marks a key deleted in a context below the one that had it. */
const DELETED: unique symbol = Symbol('deleted');
/** Past this many links, a new context copies its values into one Map instead of linking. */
const MAX_DEPTH = 16;

/**
 * An OpenTelemetry Context as a chain of the values set on it, each context
 * one small object pointing at its parent. The API's own context
 * (BaseContext) copies every value into a new Map and makes three new
 * closures each time a value is set: some 600 bytes for each span a request
 * makes current (`trace.setSpan`) and for each traceparent read, where this
 * makes one object of five fields (bench/tracing-cold.ts, ALLOC=1). Reading a
 * value walks the chain, which stays short: a request's contexts hold a span,
 * and at times a remote parent, baggage or a suppression flag. A context
 * deeper than MAX_DEPTH starts a new chain from a copy of its values.
 */
export class LinkedContext implements Context {
  private constructor(
    private readonly parent: LinkedContext | undefined,
    private readonly key: symbol | undefined,
    private readonly value: unknown,
    private readonly depth: number,
    private readonly values?: Map<symbol, unknown>,
  ) {}

  static readonly ROOT = new LinkedContext(undefined, undefined, undefined, 0);

  getValue(key: symbol): unknown {
    for (let c: LinkedContext | undefined = this; c; c = c.parent) {
      if (c.values) return c.values.get(key);
      if (c.key === key) return c.value === DELETED ? undefined : c.value;
    }
    return undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return this.link(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.link(key, DELETED);
  }

  private link(key: symbol, value: unknown): LinkedContext {
    if (this.depth < MAX_DEPTH) return new LinkedContext(this, key, value, this.depth + 1);
    const values = new Map<symbol, unknown>();
    this.collect(values);
    if (value === DELETED) values.delete(key);
    else values.set(key, value);
    return new LinkedContext(undefined, undefined, undefined, 0, values);
  }

  /** Every value this context holds, into `into` (nearest wins). */
  private collect(into: Map<symbol, unknown>): void {
    const chain: LinkedContext[] = [];
    for (let c: LinkedContext | undefined = this; c; c = c.parent) {
      chain.push(c);
      if (c.values) break;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = chain[i]!;
      if (c.values) for (const [k, v] of c.values) into.set(k, v);
      else if (c.key !== undefined) {
        if (c.value === DELETED) into.delete(c.key);
        else into.set(c.key, c.value);
      }
    }
  }
}

/** The empty context tsfn starts its traces from (in place of the API's ROOT_CONTEXT). */
export const ROOT: Context = LinkedContext.ROOT;
