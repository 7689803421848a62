import { describe, expect, it } from 'vitest';
import { meteringRecord, reportLine } from './record.js';

const spec = { account: 'a', name: 'f', version: 3, digest: `sha256:${'0'.repeat(64)}`, entry: 'index.mjs', memory: 256,
  cpu: 0.1, timeout: 10, concurrency: 1, minWarm: 0, env: {} };

describe('meteringRecord', () => {
  const r = meteringRecord({
    invocationId: 'id', attempt: 1, spec, trigger: 'http', status: 'ok', start: 'cold', queuedAt: 1000, startedAt: 1003,
    endedAt: 1100, initMs: 40.123, durationMs: 12.01, memoryPeakBytes: 50 * 1048576, cpuUs: 9000, invoker: 'inv',
  });
  it('bills whole milliseconds rounded up and GB-seconds of configured memory', () => {
    expect(r.billedMs).toBe(13);
    expect(r.gbSeconds).toBeCloseTo((256 / 1024) * 0.013, 12);
    expect(r.queueMs).toBe(3);
    expect(r.initMs).toBe(40.12);
  });
  it('writes a Lambda-like REPORT line', () => {
    expect(reportLine(r).msg).toBe(
      'REPORT id Duration: 12.01 ms Billed Duration: 13 ms Memory Size: 256 MB Max Memory Used: 50 MB CPU: 9.0 ms Init Duration: 40.12 ms Status: ok');
    expect(reportLine({ ...r, start: 'warm' }).msg).not.toContain('Init Duration');
  });
});
