import { BASE_PATHS } from '../layers/base-skeleton.js';

/**
 * How the invoker starts the runtime shim inside a container. The base layer
 * puts Node at /usr/bin/node, the bundled shim (dist/shim.cjs) at
 * /opt/tsfn/shim.cjs and its entry (dist/shim-boot.cjs), which runs it from a
 * V8 code cache, at /opt/tsfn/boot.cjs. The environment is built from scratch: a container never
 * inherits the invoker's (NODE_EXTRA_CA_CERTS alone costs tens of ms per start).
 */
export const NODE_PATH = BASE_PATHS.node;
export const SHIM_BOOT_PATH = BASE_PATHS.shimBoot;

/**
 * Given to a stem cell: the shim loads, before it reports `ready`, what any
 * function may need (fetch's Request/Response, the ESM loader), so that
 * specialising it costs little more than the function's own import.
 */
export const PREWARM_FLAG = '--prewarm';

/**
 * Given by the invoker, whose launcher closes every descriptor beyond the
 * ones it passes (init.c, close_fds_except; tested in test/launcher.test.ts):
 * the shim then skips its own search for inherited descriptors (about
 * 0.4 ms of a cold start). A shim started any other way searches.
 */
export const FDS_CLOSED_FLAG = '--fds-closed';

export interface ShimCommandOptions {
  /** 'prewarm' for a stem cell that waits for code; 'cold' when init follows at once. */
  start: 'cold' | 'prewarm';
}

/**
 * No V8 flags, on purpose: Node's built-in modules load from a code cache
 * that V8 rejects once any heap flag differs from its default, and then every
 * module loaded after start-up (net, the ESM loader, undici) is compiled from
 * source. Measured here, `--max-old-space-size` makes a cold Lambda-style
 * start about 8 ms slower and the first load of fetch's classes about 20 ms
 * slower. The container's cgroup enforces memory; V8's heuristics keep
 * collecting as the heap grows, and a function that outgrows its limit ends
 * as `oom`, which is what SPEC §4 reports for it.
 */
export function shimArgv(opts: ShimCommandOptions): string[] {
  const argv: string[] = [NODE_PATH, SHIM_BOOT_PATH, FDS_CLOSED_FLAG];
  if (opts.start === 'prewarm') argv.push(PREWARM_FLAG);
  return argv;
}

export const SHIM_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  TZ: 'UTC',
  NODE_ENV: 'production',
});
