import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../core/schemas/control.js';
import { TRUNCATED_MARKER } from '../../core/metering.js';
import { capLogs, storable } from './log-cap.js';

const line = (msg: string, ts = 1): LogLine => ({ ts, level: 'log', msg });

describe('capLogs', () => {
  it('keeps lines within the cap untouched', () => {
    const lines = [line('a'), line('b')];
    expect(capLogs(lines, false, 10)).toEqual({ lines, truncated: false });
  });

  it('cuts at the cap and ends with a marker', () => {
    const out = capLogs([line('aaaa', 1), line('bbbb', 2), line('cccc', 3)], false, 6);
    expect(out.truncated).toBe(true);
    expect(out.lines.map((l) => l.msg)).toEqual(['aaaa', 'bb', TRUNCATED_MARKER]);
    expect(out.lines[2]!.ts).toBe(2);
  });

  it('never splits a multi-byte character', () => {
    const out = capLogs([line('€€€')], false, 7);
    expect(out.lines[0]!.msg).toBe('€€');
  });

  it('keeps the invoker\'s marker as the one marker, however full the budget', () => {
    const out = capLogs([line('abcd'), line(TRUNCATED_MARKER)], false, 4);
    expect(out).toEqual({ lines: [line('abcd'), { ts: 1, level: 'stderr', msg: TRUNCATED_MARKER }], truncated: true });
  });

  it('keeps the truncated flag the shim set', () => {
    expect(capLogs([line('x')], true).truncated).toBe(true);
  });

  it('holds at most the cap of message bytes plus the marker for a flood', () => {
    const flood = Array.from({ length: 1000 }, (_, i) => line('x'.repeat(1000), i));
    const out = capLogs(flood, false);
    const bytes = out.lines.slice(0, -1).reduce((n, l) => n + Buffer.byteLength(l.msg), 0);
    expect(bytes).toBe(256 * 1024);
    expect(out.lines.at(-1)!.msg).toBe(TRUNCATED_MARKER);
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
