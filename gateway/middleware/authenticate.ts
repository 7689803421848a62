import type { MiddlewareHandler } from 'hono';
import { Forbidden, Unauthorized } from '../../core/errors.js';
import type { KeyStore } from '../store/key-store.js';
import type { GatewayEnv } from '../env.js';

/**
 * Resolves `Authorization: Bearer <key>` to a principal. A missing header
 * leaves the principal undefined (public functions need none); a header with a
 * wrong key is refused outright, so a typo never silently runs as anonymous.
 */
export const authenticate = (keys: KeyStore): MiddlewareHandler<GatewayEnv> => async (c, next) => {
  const header = c.req.header('authorization');
  if (header === undefined) {
    c.set('principal', undefined);
    return next();
  }
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new Unauthorized('the Authorization header must be "Bearer <api key>"');
  const principal = await keys.verify(m[1]!);
  if (!principal) throw new Unauthorized('the API key is unknown or revoked');
  c.set('principal', principal);
  return next();
};

/** For /v1/*: a key is required. */
export const requireKey: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  if (!c.get('principal')) throw new Unauthorized('this route needs an API key: Authorization: Bearer <key>');
  return next();
};

export const requireAdmin: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const p = c.get('principal');
  if (!p) throw new Unauthorized('this route needs an admin API key');
  if (!p.admin) throw new Forbidden('this route needs an admin API key');
  return next();
};
