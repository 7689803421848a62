import type * as Control from '../../core/schemas/control-to-shim.js';

let loading: Promise<typeof Control> | undefined;

/**
 * The schemas of the frames the shim takes, loaded on first need. Evaluating them builds
 * every zod schema of control-to-shim.ts, a few ms of CPU: the shim says `ready`
 * first and loads them while the invoker answers.
 */
export function frameSchemas(): Promise<typeof Control> {
  loading ??= import('../../core/schemas/control-to-shim.js');
  return loading;
}
