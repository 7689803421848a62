// A Lambda-style handler: gets the API Gateway payload format 2.0 event over
// HTTP, or the raw JSON event from `tsfn invoke echo --data '{...}'`, and
// returns it; a plain object is sent as JSON with status 200.
export async function handler(event: unknown, context: { awsRequestId: string; getRemainingTimeInMillis(): number }) {
  return { event, requestId: context.awsRequestId, remainingMs: context.getRemainingTimeInMillis() };
}
