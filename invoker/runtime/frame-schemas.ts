import type * as Control from '../../core/schemas/control.js';

let loading: Promise<typeof Control> | undefined;

/**
 * The control-channel schemas, loaded on first need. Evaluating them builds
 * every zod schema of control.ts, several ms of CPU: the shim says `ready`
 * first and loads them while the invoker answers.
 */
export function frameSchemas(): Promise<typeof Control> {
  loading ??= import('../../core/schemas/control.js');
  return loading;
}
