import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SharedObject {
  /** Where the dynamic loader finds it on the host, hence where it goes in a layer. */
  path: string;
  /** The file behind any symlinks at `path`, whose content is copied. */
  source: string;
}

/**
 * Every shared object `binary` loads, the dynamic loader (its PT_INTERP)
 * included, as the host's loader resolves them: `ldd` output is the loader's
 * own trace, so search paths, ld.so.cache and hwcaps subdirectories are
 * honoured exactly. The binary is trusted (the host's node): ldd runs its
 * loader on it.
 */
export async function sharedLibraries(binary: string): Promise<SharedObject[]> {
  let stdout: string;
  try {
    // A clean environment: LD_LIBRARY_PATH or LD_PRELOAD must not change the answer.
    ({ stdout } = await run('ldd', [binary], { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } }));
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    if (/not a dynamic executable|statically linked/.test(out)) return [];
    throw new Error(`ldd ${binary}: ${out.trim() || (err as Error).message}`);
  }
  return Promise.all(parseLdd(stdout, binary).map(async (path) => ({ path, source: await realpath(path) })));
}

/** The absolute paths in ldd's output, in order, without duplicates or the vDSO. */
export function parseLdd(output: string, binary: string): string[] {
  const paths = new Set<string>();
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || line === 'statically linked') continue;
    const missing = /^(\S+) => not found$/.exec(line);
    if (missing) throw new Error(`ldd ${binary}: ${missing[1]} not found`);
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or the loader: "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const found = /^(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (found) paths.add(found[1]!);
    else if (!/^\S+ \(0x[0-9a-f]+\)$/.test(line)) throw new Error(`ldd ${binary}: unexpected line ${JSON.stringify(line)}`);
  }
  return [...paths];
}
