import type { Principal } from '../core/principal.js';

/** Hono environment of every gateway route. */
export interface GatewayEnv {
  Variables: {
    /** Set by `authenticate` when a valid key was presented. */
    principal: Principal | undefined;
  };
}
