import type { Context, ContextManager } from '@opentelemetry/api';
import { ROOT } from './linked-context.js';

/**
 * A context manager whose active context lasts for the synchronous extent of
 * `with` only, like the stack context manager of OpenTelemetry's browser SDK.
 *
 * tsfn passes trace context explicitly across `await` (a TraceScope per
 * request or invocation) and makes the client calls it wants traced inside
 * `scope.within(...)`, so that the Redis and PostgreSQL instrumentations see
 * the right parent at the moment a command is sent. The usual Node context
 * manager, AsyncLocalStorage, would carry context across `await` by itself,
 * but on Node 20 it installs promise hooks that run on every promise of the
 * process (BullMQ, ioredis, Hono make many): that alone cost the platform
 * 10-15% of its throughput (BENCHMARKS.md, tracing cost).
 *
 * With nothing active it answers tsfn's empty context (linked-context.ts),
 * so that contexts made from it are lean ones.
 *
 * `bind` wraps a function so that it runs in the given context (the pg
 * instrumentation binds pool callbacks this way); event emitters are
 * returned unchanged.
 */
export class SyncContextManager implements ContextManager {
  /** The manager enabled as the API's global one, if any (startTracing enables it once it is registered). */
  static installed: SyncContextManager | undefined;
  private stack: Context[] = [];

  active(): Context {
    return this.stack.length ? this.stack[this.stack.length - 1]! : ROOT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A
  ): ReturnType<F> {
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }

  /** `with` for a function of no arguments, called as it is. */
  run<T>(ctx: Context, fn: () => T): T {
    this.stack.push(ctx);
    try {
      return fn();
    } finally {
      this.stack.pop();
    }
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    SyncContextManager.installed = this;
    return this;
  }

  disable(): this {
    if (SyncContextManager.installed === this) SyncContextManager.installed = undefined;
    this.stack = [];
    return this;
  }
}
