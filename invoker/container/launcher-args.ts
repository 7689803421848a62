import { PAYLOAD_GID } from './payload-ids.js';

/** What the launcher's `run` subcommand is told (native/: see its usage text). */
export interface LaunchSpec {
  layers: string[];
  upperBytes: number;
  cgroupPaths: readonly string[];
  env: Readonly<Record<string, string>>;
  binds: { source: string; target: string; readOnly: boolean }[];
  passFds: number[];
  infoFd?: number;
  cwd: string;
  argv: string[];
  /** The host uid the payload runs as, its own (payload-ids.ts); the gid is nogroup's. */
  uid: number;
}

export function launcherArgs(s: LaunchSpec): string[] {
  return [
    'run',
    ...s.layers.flatMap((l) => ['--layer', l]),
    '--upper-size', String(s.upperBytes),
    ...s.cgroupPaths.flatMap((p) => ['--cgroup', p]),
    '--hostname', 'tsfn', '--uid', String(s.uid), '--gid', String(PAYLOAD_GID), '--cwd', s.cwd,
    ...s.passFds.flatMap((fd) => ['--pass-fd', String(fd)]),
    ...(s.infoFd === undefined ? [] : ['--info-fd', String(s.infoFd)]),
    ...Object.entries(s.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...s.binds.flatMap((b) => ['--bind', `${b.source}:${b.target}:${b.readOnly ? 'ro' : 'rw'}`]),
    '--', ...s.argv,
  ];
}
