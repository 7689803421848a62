import { spawn } from 'node:child_process';

/** `held`: on while the holder runs; `unneeded`: cgroup v2 (the host's own mount option); `unsupported`: the kernel refused. */
export type FavorDynmodsState = 'held' | 'unneeded' | 'unsupported';

export interface FavorDynmods {
  state: FavorDynmodsState;
  /** When unsupported: the syscall the kernel refused and its error, or why the holder gave no answer. */
  detail?: string;
  /** When held: the holder's pid (`tsfn-launcher favor-dynmods`). */
  pid?: number;
  /** Closes the holder's stdin and waits for it to exit; harmless when it is gone already. */
  release(): Promise<void>;
}

const RELEASE_TIMEOUT_MS = 5_000;

/**
 * Keeps the kernel's cgroup `favordynmods` mode on, so that moving each new
 * container's launcher into its cgroups does not wait for an RCU grace period
 * (10-15 ms on cgroup v1; see native/README.md). The launcher's
 * `favor-dynmods` holds a detached favordynmods hierarchy until its stdin
 * closes. It never keeps this process alive, and dies with it: if the
 * process ends without release(), the pipe closes and so does the hold.
 * Never rejects: without it containers only start slower.
 */
export async function holdFavorDynmods(launcher: string): Promise<FavorDynmods> {
  const child = spawn(launcher, ['favor-dynmods'], { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.stdin!.on('error', () => {});
  let out = '';
  const answer = await new Promise<string>((resolve) => {
    // stdout keeps flowing (anything after the first line is dropped), so that 'close' comes.
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('close', (code, signal) => resolve(`unsupported the holder gave no answer (${signal ?? `status ${code}`})`));
    child.once('error', (err) => resolve(`unsupported ${launcher} favor-dynmods: ${err.message}`));
  });
  child.unref();
  for (const stream of [child.stdin, child.stdout]) (stream as unknown as { unref?: () => void } | null)?.unref?.();

  const release = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), RELEASE_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
  };
  const [word, ...rest] = answer.split(' ');
  if (word === 'held') return { state: 'held', pid: child.pid, release };
  if (word === 'unneeded') return { state: 'unneeded', release };
  return { state: 'unsupported', detail: word === 'unsupported' ? rest.join(' ') : `unexpected answer ${JSON.stringify(answer)}`, release };
}
