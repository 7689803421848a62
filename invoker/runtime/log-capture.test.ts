import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../core/schemas/control.js';
import { cutUtf8, LOG_CAP_BYTES, LOG_FLUSH_BYTES, LOG_FLUSH_MS, LogCapture, TRUNCATED_MARKER } from './log-capture.js';

// Only the batching and the cap: install() patches the process's console and
// streams, which the shim's process tests cover. Real timers: the capture
// holds its own setTimeout, taken before function code could fake it.
describe('LogCapture', () => {
  function capture() {
    const sent: Array<{ id: string; lines: LogLine[] }> = [];
    return { sent, logs: new LogCapture((id, lines) => sent.push({ id, lines })) };
  }

  it('holds lines while no invocation runs and gives them to the next one', () => {
    const { sent, logs } = capture();
    logs.add('log', 'before');
    logs.begin('a');
    logs.add('log', 'during');
    expect(sent).toEqual([]);
    expect(logs.drain().map((l) => l.msg)).toEqual(['before', 'during']);
  });

  it(`flushes after ${LOG_FLUSH_MS} ms, or at once past ${LOG_FLUSH_BYTES} bytes`, async () => {
    const { sent, logs } = capture();
    logs.begin('a');
    logs.add('info', 'one');
    expect(sent).toEqual([]);
    await sleep(LOG_FLUSH_MS * 2);
    expect(sent.map((b) => [b.id, b.lines.map((l) => l.msg)])).toEqual([['a', ['one']]]);
    logs.add('info', 'x'.repeat(LOG_FLUSH_BYTES));
    expect(sent).toHaveLength(2);
    expect(logs.drain()).toEqual([]);
  });

  it('sends nothing for an invocation after it is drained', async () => {
    const { sent, logs } = capture();
    logs.begin('a');
    logs.add('log', 'x');
    logs.drain();
    await sleep(LOG_FLUSH_MS * 2);
    expect(sent).toEqual([]);
  });

  it('cuts at the cap, adds one marker, and starts afresh after drain', () => {
    const { logs } = capture();
    logs.add('log', 'a'.repeat(LOG_CAP_BYTES - 2));
    logs.add('log', 'éé');
    logs.add('log', 'dropped');
    const lines = logs.drain();
    expect(lines.map((l) => l.msg.length)).toEqual([LOG_CAP_BYTES - 2, 1, TRUNCATED_MARKER.length]);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', msg: TRUNCATED_MARKER });
    logs.add('log', 'fresh');
    expect(logs.drain().map((l) => l.msg)).toEqual(['fresh']);
  });
});

describe('cutUtf8', () => {
  it('never splits a character', () => {
    expect(cutUtf8('aé', 2)).toBe('a');
    expect(cutUtf8('a😀b', 4)).toBe('a');
    expect(cutUtf8('a😀b', 5)).toBe('a😀');
    expect(cutUtf8('abc', 2)).toBe('ab');
  });
});
