import { describe, expect, it } from 'vitest';
import { heapLimitMiB, PREWARM_FLAG, SHIM_ENV, SHIM_PATH, shimArgv } from './shim-command.js';

describe('shimArgv', () => {
  it('sizes the heap from the memory limit and marks stem cells', () => {
    expect(shimArgv({ memoryMiB: 128, start: 'cold' })).toEqual(['/usr/bin/node', '--max-old-space-size=115', SHIM_PATH]);
    expect(shimArgv({ memoryMiB: 1024, start: 'prewarm' })).toEqual(['/usr/bin/node', '--max-old-space-size=921', SHIM_PATH, PREWARM_FLAG]);
    expect(heapLimitMiB(8)).toBe(16);
  });

  it('gives a complete environment that inherits nothing from the invoker', () => {
    expect(Object.keys(SHIM_ENV).sort()).toEqual(['HOME', 'LANG', 'NODE_ENV', 'PATH', 'TMPDIR', 'TZ']);
    expect(SHIM_ENV.HOME).toBe('/tmp');
    expect(Object.isFrozen(SHIM_ENV)).toBe(true);
  });
});
