import { describe, expect, it } from 'vitest';
import { FDS_CLOSED_FLAG, PREWARM_FLAG, SHIM_ENV, SHIM_BOOT_PATH, shimArgv } from './shim-command.js';

describe('shimArgv', () => {
  it('runs the shim with no V8 flags, marking stem cells', () => {
    expect(shimArgv({ start: 'cold' })).toEqual(['/usr/bin/node', SHIM_BOOT_PATH, FDS_CLOSED_FLAG]);
    expect(shimArgv({ start: 'prewarm' })).toEqual(['/usr/bin/node', SHIM_BOOT_PATH, FDS_CLOSED_FLAG, PREWARM_FLAG]);
  });

  it('gives a complete environment that inherits nothing from the invoker', () => {
    expect(Object.keys(SHIM_ENV).sort()).toEqual(['HOME', 'LANG', 'NODE_ENV', 'PATH', 'TMPDIR', 'TZ']);
    expect(SHIM_ENV.HOME).toBe('/tmp');
    expect(Object.isFrozen(SHIM_ENV)).toBe(true);
  });
});
