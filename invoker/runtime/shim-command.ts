/**
 * How the invoker starts the runtime shim inside a container. The base layer
 * puts Node at /usr/bin/node and the bundled shim (dist/shim.cjs) at
 * /opt/tsfn/shim.cjs. The environment is built from scratch: a container never
 * inherits the invoker's (NODE_EXTRA_CA_CERTS alone costs tens of ms per start).
 */
export const NODE_PATH = '/usr/bin/node';
export const SHIM_PATH = '/opt/tsfn/shim.cjs';

/**
 * Given to a stem cell: the shim loads, before it reports `ready`, what any
 * function may need (fetch's Request/Response, the ESM loader), so that
 * specialising it costs only the function's own import.
 */
export const PREWARM_FLAG = '--prewarm';

export interface ShimCommandOptions {
  /** The container's memory limit; V8's heap limit follows it. */
  memoryMiB: number;
  /** 'prewarm' for a stem cell that waits for code; 'cold' when init follows at once. */
  start: 'cold' | 'prewarm';
}

/**
 * V8 sizes its heap from the host's memory, not the container's: without a
 * limit it would grow past the cgroup's and be killed instead of collecting.
 * 90% leaves the rest for Node's own native memory and buffers.
 */
export function heapLimitMiB(memoryMiB: number): number {
  return Math.max(16, Math.floor(memoryMiB * 0.9));
}

export function shimArgv(opts: ShimCommandOptions): string[] {
  const argv = [NODE_PATH, `--max-old-space-size=${heapLimitMiB(opts.memoryMiB)}`, SHIM_PATH];
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
