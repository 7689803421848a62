import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, failure, json, ok, ShimProcess, startShim, writeFunction } from './runtime-harness.js';

const LIMIT = 100_000;
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** One Lambda-style function; for HTTP invocations it routes on rawPath. */
const LAMBDA_FN = `
let count = 0;
export async function handler(event, context) {
  count += 1;
  if (event.version !== '2.0') return { got: event, count, requestId: context.awsRequestId };
  switch (event.rawPath) {
    case '/event': return { statusCode: 200, body: JSON.stringify({ event, context: { ...context, remaining: context.getRemainingTimeInMillis() } }) };
    case '/object': return { hello: 'world', list: [1, 2] };
    case '/array': return [1, 'two'];
    case '/string': return 'plain words';
    case '/number': return 42;
    case '/null': return null;
    case '/undefined': return undefined;
    case '/structured': return { statusCode: 418, headers: { 'content-type': 'text/plain', 'x-n': 7 }, cookies: ['a=1', 'b=2; Secure'], body: 'teapot' };
    case '/no-status': return { statusCode: undefined, body: 'defaulted' };
    case '/base64': {
      const bytes = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
      return { statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: bytes.toString('base64'), isBase64Encoded: true };
    }
    case '/bad-status': return { statusCode: 99 };
    case '/bad-header': return { statusCode: 200, headers: { 'x-bad': 'a\\r\\nInjected: yes' } };
    case '/body-object': return { statusCode: 200, body: { not: 'a string' } };
    case '/circular': { const o = {}; o.self = o; return o; }
    case '/throw': throw new Error('lambda failure');
    case '/big': return { statusCode: 200, body: 'y'.repeat(Number(event.queryStringParameters.n)) };
  }
  return { statusCode: 404 };
}
`;

describe('runtime shim: lambda style', () => {
  let shim: ShimProcess;

  beforeAll(async () => {
    shim = await startShim();
    expect(await shim.init(writeFunction({ 'index.mjs': LAMBDA_FN }), { name: 'lam', version: 2, maxResponseBytes: LIMIT }))
      .toEqual({ t: 'init-ok', style: 'lambda' });
  });
  afterAll(cleanUp);

  it('builds the payload format 2.0 event', async () => {
    const before = Date.now();
    const a = await shim.invoke({
      id: 'inv-ev', account: 'acct-9',
      http: {
        method: 'post', path: '/event', query: 'a=1&a=2&b=x%20y',
        headers: [
          ['Host', 'fn.example.com'], ['X-Dup', 'one'], ['x-dup', 'two'], ['Cookie', 'c1=v1; c2=v2'],
          ['User-Agent', 'ua/1'], ['Content-Type', 'text/plain; charset=utf-8'],
        ],
      },
    }, Buffer.from('hello text'));
    const { event } = json(a);
    expect(event).toMatchObject({
      version: '2.0', routeKey: '$default', rawPath: '/event', rawQueryString: 'a=1&a=2&b=x%20y',
      cookies: ['c1=v1', 'c2=v2'],
      headers: { 'host': 'fn.example.com', 'x-dup': 'one,two', 'user-agent': 'ua/1', 'content-type': 'text/plain; charset=utf-8' },
      queryStringParameters: { a: '1,2', b: 'x y' },
      requestContext: {
        accountId: 'acct-9', apiId: 'lam', domainName: 'fn.example.com', domainPrefix: 'fn',
        http: { method: 'POST', path: '/event', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'ua/1' },
        requestId: 'inv-ev', routeKey: '$default', stage: '$default',
      },
      body: 'hello text', isBase64Encoded: false,
    });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.timeEpoch).toBeGreaterThanOrEqual(before);
    expect(event.requestContext.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
  });

  it('leaves out body, cookies and query parameters when there are none', async () => {
    const { event } = json(await shim.invoke({ http: { path: '/event' } }));
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event.requestContext.domainName).toBe('localhost');
  });

  it('passes Context with the Lambda names', async () => {
    const deadline = Date.now() + 15_000;
    const { context } = json(await shim.invoke({ id: 'inv-ctx', deadline, traceparent: 'tp-1', http: { path: '/event' } }));
    expect(context).toMatchObject({
      invocationId: 'inv-ctx', awsRequestId: 'inv-ctx', functionName: 'lam', version: 2, functionVersion: '2',
      memoryLimitMiB: 128, memoryLimitInMB: '128', deadline, traceparent: 'tp-1',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.invokedFunctionArn).toContain('lam');
    expect(context.remaining).toBeGreaterThan(0);
    expect(context.remaining).toBeLessThanOrEqual(15_000);
  });

  it('round-trips all 256 byte values as base64 both ways', async () => {
    const a = await shim.invoke({
      http: { method: 'POST', path: '/base64', headers: [['content-type', 'application/octet-stream']] },
    }, ALL_BYTES);
    expect(ok(a).headers).toContainEqual(['content-type', 'application/octet-stream']);
    expect(Buffer.compare(a.body, Buffer.from(ALL_BYTES))).toBe(0);
  });

  it('base64-encodes a body declared as text that is not valid UTF-8', async () => {
    const bytes = Buffer.from([0x68, 0xff, 0xfe, 0x69]);
    const a = await shim.invoke({ http: { method: 'POST', path: '/base64', headers: [['content-type', 'text/plain']] } }, bytes);
    expect(Buffer.compare(a.body, bytes)).toBe(0);
  });

  it.each([
    ['/object', '{"hello":"world","list":[1,2]}'],
    ['/array', '[1,"two"]'],
    ['/string', 'plain words'],
    ['/number', '42'],
    ['/null', 'null'],
    ['/undefined', 'null'],
  ])('sends a plain %s result as the body with status 200 and JSON content type', async (path, body) => {
    const a = await shim.invoke({ http: { path } });
    expect(ok(a)).toMatchObject({ status: 200, headers: [['content-type', 'application/json']] });
    expect(a.body.toString()).toBe(body);
  });

  it('honours statusCode, headers, cookies and body', async () => {
    const a = await shim.invoke({ http: { path: '/structured' } });
    const r = ok(a);
    expect(r.status).toBe(418);
    expect(r.headers).toEqual([
      ['content-type', 'text/plain'], ['x-n', '7'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2; Secure'],
    ]);
    expect(a.body.toString()).toBe('teapot');
    const d = await shim.invoke({ http: { path: '/no-status' } });
    expect(ok(d).status).toBe(200);
    expect(d.body.toString()).toBe('defaulted');
  });

  it.each([
    ['/bad-status', /statusCode must be an integer from 200 to 599, got 99/],
    ['/bad-header', /invalid value for header x-bad/],
    ['/body-object', /body must be a string/],
    ['/circular', /cannot be sent as JSON/],
  ])('answers invalid for %s', async (path, message) => {
    const f = failure(await shim.invoke({ http: { path } }));
    expect(f.kind).toBe('invalid');
    expect(f.error.message).toMatch(message);
  });

  it('turns a throw into an error frame', async () => {
    const f = failure(await shim.invoke({ http: { path: '/throw' } }));
    expect(f).toMatchObject({ kind: 'error', error: { name: 'Error', message: 'lambda failure' } });
    expect(f.error.stack).toContain('index.mjs');
  });

  it('answers too-large past maxResponseBytes', async () => {
    expect(ok(await shim.invoke({ http: { path: '/big', query: `n=${LIMIT}` } })).status).toBe(200);
    expect(failure(await shim.invoke({ http: { path: '/big', query: `n=${LIMIT + 1}` } })).kind).toBe('too-large');
  });

  it('gives a JSON event to the handler as is and answers with its value as JSON', async () => {
    const a = await shim.invoke({ id: 'inv-json', kind: 'event', trigger: 'schedule' }, Buffer.from('{"hello":"event","n":[1]}'));
    expect(ok(a).headers).toEqual([['content-type', 'application/json']]);
    expect(json(a)).toMatchObject({ got: { hello: 'event', n: [1] }, requestId: 'inv-json' });
    const empty = json(await shim.invoke({ kind: 'event', trigger: 'async' }));
    expect(empty.got).toEqual({});
  });

  it('fails a JSON event that is not JSON with an error frame', async () => {
    const f = failure(await shim.invoke({ kind: 'event' }, Buffer.from('{nope')));
    expect(f).toMatchObject({ kind: 'error', error: { name: 'SyntaxError' } });
  });

  it('keeps module state between invocations', async () => {
    const a = json(await shim.invoke({ kind: 'event' }, Buffer.from('{}')));
    const b = json(await shim.invoke({ kind: 'event' }, Buffer.from('{}')));
    expect(b.count).toBe(a.count + 1);
  });
});

describe('runtime shim: lambda callbacks and CommonJS', () => {
  afterAll(cleanUp);

  it('accepts an answer through callback(err, value)', async () => {
    const shim = await startShim();
    await shim.init(writeFunction({
      'index.mjs': `export function handler(event, context, callback) {
        if (event.rawPath === '/fail') return setTimeout(() => callback(new Error('callback failure')), 5);
        setTimeout(() => callback(null, { statusCode: 202, body: 'via callback' }), 5);
      }`,
    }));
    const a = await shim.invoke();
    expect(ok(a).status).toBe(202);
    expect(a.body.toString()).toBe('via callback');
    expect(failure(await shim.invoke({ http: { path: '/fail' } })).error.message).toBe('callback failure');
  });

  it('finds exports.handler in a CommonJS entry', async () => {
    const shim = await startShim();
    const answer = await shim.init(writeFunction({ 'index.cjs': 'exports.handler = async () => "from cjs";' }), { entry: 'index.cjs' });
    expect(answer).toEqual({ t: 'init-ok', style: 'lambda' });
    expect((await shim.invoke()).body.toString()).toBe('from cjs');
  });
});
