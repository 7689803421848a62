import { createContextKey, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { LinkedContext, ROOT } from './linked-context.js';

const keys = Array.from({ length: 5 }, (_, i) => createContextKey(`k${i}`));

describe('LinkedContext', () => {
  it('answers as the API context does, for any sequence of sets and deletes, deep ones included', () => {
    // A seeded walk: each step sets or deletes a key on some earlier context of both kinds.
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const ours: Context[] = [ROOT];
    const api: Context[] = [ROOT_CONTEXT];
    for (let step = 0; step < 3000; step++) {
      const from = rand(4) === 0 ? rand(ours.length) : ours.length - 1;
      const key = keys[rand(keys.length)]!;
      const op = rand(3);
      const value = rand(4) === 0 ? undefined : { step };
      ours.push(op === 0 ? ours[from]!.deleteValue(key) : ours[from]!.setValue(key, value));
      api.push(op === 0 ? api[from]!.deleteValue(key) : api[from]!.setValue(key, value));
    }
    for (let i = 0; i < ours.length; i++) {
      for (const key of keys) expect(ours[i]!.getValue(key)).toBe(api[i]!.getValue(key));
    }
  });

  it('keeps a deletion when a long chain is copied into one map', () => {
    const [gone, kept, other] = keys as [symbol, symbol, symbol];
    let ctx = ROOT.setValue(gone, 'old').setValue(kept, 'k');
    ctx = ctx.deleteValue(gone);
    for (let i = 0; i < 40; i++) {
      ctx = ctx.setValue(other, i);
      expect([ctx.getValue(gone), ctx.getValue(kept), ctx.getValue(other)]).toEqual([undefined, 'k', i]);
    }
    expect(ctx.deleteValue(kept).getValue(kept)).toBeUndefined();
  });

  it('leaves the context it was set on unchanged', () => {
    const a = ROOT.setValue(keys[0]!, 1);
    const b = a.setValue(keys[0]!, 2);
    const c = b.deleteValue(keys[0]!);
    expect([ROOT.getValue(keys[0]!), a.getValue(keys[0]!), b.getValue(keys[0]!), c.getValue(keys[0]!)]).toEqual([undefined, 1, 2, undefined]);
  });

  it('carries spans for the trace API', () => {
    const span = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
    const ctx = trace.setSpan(ROOT, span);
    expect(ctx).toBeInstanceOf(LinkedContext);
    expect(trace.getSpan(ctx)).toBe(span);
    expect(trace.getSpan(trace.deleteSpan(ctx))).toBeUndefined();
    expect(trace.getSpan(ROOT)).toBeUndefined();
  });
});
