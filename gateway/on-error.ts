import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { BadRequest, NotFound, PayloadTooLarge, TsfnError } from '../core/errors.js';

/** The one place where errors become problem+json responses (SPEC §3). */
export const onError: ErrorHandler = (err) => {
  if (err instanceof TsfnError) return err.getResponse();
  if (err instanceof ZodError) return new BadRequest(zodDetail(err)).getResponse();
  if (err instanceof HTTPException) {
    if (err.status === 413) return new PayloadTooLarge(err.message || 'request body too large').getResponse();
    return new TsfnError(err.status, err.message || 'Error', err.message || 'request failed').getResponse();
  }
  console.error('gateway: unexpected error', err);
  return new TsfnError(500, 'Internal Server Error', 'the gateway failed to handle this request').getResponse();
};

export const notFound: NotFoundHandler = (c) =>
  new NotFound(`no route for ${c.req.method} ${new URL(c.req.url).pathname}`).getResponse();

export function zodDetail(err: ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid input';
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}
