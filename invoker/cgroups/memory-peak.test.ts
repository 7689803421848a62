import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryPeak, probePeakMode } from './memory-peak.js';

describe('MemoryPeak', () => {
  let dir: string;
  const set = (file: string, n: number) => writeFileSync(join(dir, file), `${n}\n`);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsfn-peak-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('probes per-fd when memory.peak opens for writing, sampled when it is absent', () => {
    expect(probePeakMode(dir)).toBe('sampled');
    set('memory.peak', 0);
    expect(probePeakMode(dir)).toBe('per-fd');
  });

  it('watermark (read-only memory.peak): the global peak until a reset, then new highs or sampled current', () => {
    const peak = new MemoryPeak(dir, 'watermark');
    set('memory.peak', 80);
    set('memory.current', 30);
    expect(peak.read()).toBe(80);
    peak.reset();
    expect(peak.read()).toBe(30);
    set('memory.current', 50);
    expect(peak.read()).toBe(50);
    set('memory.current', 20);
    expect(peak.read()).toBe(50);
    set('memory.peak', 95);
    expect(peak.read()).toBe(95);
  });
});
