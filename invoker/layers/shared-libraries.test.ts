import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLdd, sharedLibraries } from './shared-libraries.js';

describe('parseLdd', () => {
  it('keeps resolved libraries and the loader, drops the vDSO and duplicates', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffd3b5f1000)',
      '\tlibz.so.1 => /lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1 (0x00007f0e1c000000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0e1be00000)',
      '\tld-linux-x86-64.so.2 => /lib64/ld-linux-x86-64.so.2 (0x00007f0e1c1f0000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f0e1c1f0000)',
      '',
    ].join('\n');
    expect(parseLdd(out, 'bin')).toEqual([
      '/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('fails on a missing library rather than building a layer that cannot start', () => {
    expect(() => parseLdd('\tlibgone.so.3 => not found\n', 'bin')).toThrow('ldd bin: libgone.so.3 not found');
  });

  it('fails on output it does not understand', () => {
    expect(() => parseLdd('\tsomething odd\n', 'bin')).toThrow(/unexpected line "something odd"/);
  });
});

describe('sharedLibraries', () => {
  it("lists the host node's libraries and loader as real files", async () => {
    const libs = await sharedLibraries(process.execPath);
    expect(libs.some((l) => /\/libc\.so\.6$/.test(l.path))).toBe(true);
    expect(libs.some((l) => /\/ld-linux[^/]*\.so\.\d$/.test(l.path))).toBe(true);
    for (const lib of libs) {
      expect(lib.path).toMatch(/^\//);
      expect(existsSync(lib.source)).toBe(true);
    }
  });

  it('answers nothing for a file that is not a dynamic executable', async () => {
    expect(await sharedLibraries('/etc/hostname')).toEqual([]);
  });
});
