import { createContextKey } from '@opentelemetry/api';
import { ROOT } from './linked-context.js';
import { describe, expect, it } from 'vitest';
import { SyncContextManager } from './sync-context.js';

const key = createContextKey('k');
const a = ROOT.setValue(key, 'a');
const b = ROOT.setValue(key, 'b');

describe('SyncContextManager', () => {
  it('makes a context active for the synchronous extent of with, nested, and restores it after a throw', () => {
    const m = new SyncContextManager();
    expect(m.active()).toBe(ROOT);
    const seen = m.with(a, () => [m.active().getValue(key), m.with(b, () => m.active().getValue(key)), m.active().getValue(key)]);
    expect(seen).toEqual(['a', 'b', 'a']);
    expect(() => m.with(a, () => { throw new Error('x'); })).toThrow('x');
    expect(m.active()).toBe(ROOT);
  });

  it('passes this and arguments and returns the result', () => {
    const m = new SyncContextManager();
    const self = { n: 2 };
    expect(m.with(a, function (this: typeof self, x: number) { return this.n * x; }, self, 21)).toBe(42);
  });

  it('does not carry a context across await: callers pass it explicitly', async () => {
    const m = new SyncContextManager();
    const after = await m.with(a, async () => {
      await Promise.resolve();
      return m.active();
    });
    expect(after).toBe(ROOT);
  });

  it('binds functions to a context and leaves other targets unchanged', () => {
    const m = new SyncContextManager();
    const bound = m.bind(b, (x: number) => `${m.active().getValue(key)}${x}`);
    expect(m.with(a, () => bound(1))).toBe('b1');
    const target = { on() {} };
    expect(m.bind(a, target)).toBe(target);
  });

  it('forgets everything when disabled', () => {
    const m = new SyncContextManager();
    m.with(a, () => {
      m.disable();
      expect(m.active()).toBe(ROOT);
    });
  });
});

describe('SyncContextManager.run and installed', () => {
  it('runs a function in a context as with does, restoring the last one after a throw', () => {
    const m = new SyncContextManager();
    expect(m.run(a, () => [m.active(), m.run(b, () => m.active()), m.active()])).toEqual([a, b, a]);
    expect(() => m.run(a, () => { throw new Error('x'); })).toThrow('x');
    expect(m.active()).toBe(ROOT);
  });

  it('is the installed manager from enable to disable', () => {
    const m = new SyncContextManager();
    expect(SyncContextManager.installed).toBeUndefined();
    m.enable();
    expect(SyncContextManager.installed).toBe(m);
    new SyncContextManager().disable();
    expect(SyncContextManager.installed).toBe(m);
    m.disable();
    expect(SyncContextManager.installed).toBeUndefined();
  });
});
