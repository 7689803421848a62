import type { Principal } from '../core/principal.js';
import type { TraceScope } from '../core/telemetry/trace-context.js';

/** Hono environment of every gateway route. */
export interface GatewayEnv {
  Variables: {
    /** Set by `authenticate` when a valid key was presented. */
    principal: Principal | undefined;
    /** Set by `tracing` when tracing is on: the request's server span, for the steps that follow to pass on. */
    trace: TraceScope | undefined;
  };
}
