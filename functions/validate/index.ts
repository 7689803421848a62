// Imports an npm package (zod), which esbuild bundles into the function.
import { z } from 'zod';

const Signup = z.object({
  email: z.string().email(),
  age: z.number().int().min(13),
});

export async function handler(event: { body?: string } | unknown) {
  // Over HTTP the event is the payload 2.0 envelope; through `tsfn invoke --data` it is the JSON itself.
  const input = typeof event === 'object' && event !== null && 'rawPath' in event
    ? JSON.parse((event as { body?: string }).body ?? 'null')
    : event;
  const result = Signup.safeParse(input);
  if (!result.success) {
    return { statusCode: 422, body: JSON.stringify({ ok: false, issues: result.error.issues.map((i) => i.message) }) };
  }
  return { ok: true, user: result.data };
}
