import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../core/schemas/control.js';
import { capLogs, storable, TRUNCATION_MARKER } from './log-cap.js';

const line = (msg: string, ts = 1): LogLine => ({ ts, level: 'log', msg });

describe('capLogs', () => {
  it('keeps lines within the cap untouched', () => {
    const lines = [line('a'), line('b')];
    expect(capLogs(lines, false, 10)).toEqual({ lines, truncated: false });
  });

  it('cuts at the cap and ends with a marker', () => {
    const out = capLogs([line('aaaa', 1), line('bbbb', 2), line('cccc', 3)], false, 6);
    expect(out.truncated).toBe(true);
    expect(out.lines.map((l) => l.msg)).toEqual(['aaaa', 'bb', TRUNCATION_MARKER]);
    expect(out.lines[2]!.ts).toBe(2);
  });

  it('never splits a multi-byte character', () => {
    const out = capLogs([line('€€€')], false, 7);
    expect(out.lines[0]!.msg).toBe('€€');
  });

  it('keeps the truncated flag the shim set', () => {
    expect(capLogs([line('x')], true).truncated).toBe(true);
  });

  it('holds at most the cap of message bytes plus the marker for a flood', () => {
    const flood = Array.from({ length: 1000 }, (_, i) => line('x'.repeat(1000), i));
    const out = capLogs(flood, false);
    const bytes = out.lines.slice(0, -1).reduce((n, l) => n + Buffer.byteLength(l.msg), 0);
    expect(bytes).toBe(256 * 1024);
    expect(out.lines.at(-1)!.msg).toBe(TRUNCATION_MARKER);
  });
});

describe('storable', () => {
  it('replaces NUL and lone surrogates, keeps pairs', () => {
    expect(storable('a\u0000b')).toBe('a\uFFFDb');
    expect(storable('x\ud800y')).toBe('x\uFFFDy');
    expect(storable('x\udc00')).toBe('x\uFFFD');
    expect(storable('😀')).toBe('😀');
  });
});
