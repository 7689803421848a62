import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig switches', () => {
  it('holds favordynmods by default; 0 leaves the host setting alone', () => {
    expect(loadConfig({}).TSFN_CGROUP_FAVOR_DYNMODS).toBe(true);
    expect(loadConfig({ TSFN_CGROUP_FAVOR_DYNMODS: '1' }).TSFN_CGROUP_FAVOR_DYNMODS).toBe(true);
    expect(loadConfig({ TSFN_CGROUP_FAVOR_DYNMODS: '0' }).TSFN_CGROUP_FAVOR_DYNMODS).toBe(false);
  });

  it('refuses anything but 0 and 1, naming the variable', () => {
    for (const v of ['yes', 'false', 'on', '']) {
      expect(() => loadConfig({ TSFN_CGROUP_FAVOR_DYNMODS: v })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ TSFN_CGROUP_FAVOR_DYNMODS: 'true' })).toThrow(/invalid TSFN_CGROUP_FAVOR_DYNMODS/);
  });
});
