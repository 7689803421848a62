/**
 * The launcher's own exit codes, mirrored from native/src/exit-codes.h (the
 * one place they are named in C). Any other status is the payload's own
 * (128+N when it died of signal N, so 137 is SIGKILL, e.g. the OOM killer).
 *
 * A payload may exit with one of these numbers too: a code means the launcher
 * failed only if the payload never started, i.e. before the `--info-fd` line
 * was written.
 */
export const LauncherExit = {
  usage: 110,
  cgroup: 111,
  namespaces: 112,
  mounts: 113,
  rootfs: 114,
  privileges: 115,
  seccomp: 116,
  process: 117,
  attach: 118,
  internal: 119,
  notExecutable: 126,
  notFound: 127,
} as const;

export type LauncherFailure = keyof typeof LauncherExit;

const byCode = new Map<number, LauncherFailure>(
  Object.entries(LauncherExit).map(([name, code]) => [code, name as LauncherFailure]),
);

/** The named reason for a launcher exit code, or undefined for any other status. */
export function launcherFailure(code: number | null | undefined): LauncherFailure | undefined {
  return code === null || code === undefined ? undefined : byCode.get(code);
}
