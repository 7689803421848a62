import { inspect } from 'node:util';
import { InvalidResult, ResponseTooLarge, type Outcome } from './outcome.js';

type Result = Extract<Outcome, { t: 'result' }>;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]/;
const JSON_HEADERS: Array<[string, string]> = [['content-type', 'application/json']];

/**
 * Turns a Lambda handler's return value into an HTTP response, by the rules of
 * Function URLs / HTTP API payload 2.0: an object with `statusCode` is a
 * response ({statusCode, headers, cookies, body, isBase64Encoded}); anything
 * else is the body, with status 200 and content-type application/json — a
 * string as it is, any other value as its JSON.
 */
export function httpResultOf(value: unknown, maxBytes: number): Result {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'statusCode' in value) {
    return structuredResult(value as Record<string, unknown>, maxBytes);
  }
  const text = typeof value === 'string' ? value : toJson(value);
  return { t: 'result', status: 200, headers: [...JSON_HEADERS], body: limited(Buffer.from(text, 'utf8'), maxBytes) };
}

/** A JSON invocation answers with the handler's value as JSON, as Lambda's Invoke API does. */
export function eventResultOf(value: unknown, maxBytes: number): Result {
  return { t: 'result', status: 200, headers: [...JSON_HEADERS], body: limited(Buffer.from(toJson(value), 'utf8'), maxBytes) };
}

function structuredResult(r: Record<string, unknown>, maxBytes: number): Result {
  const status = r.statusCode ?? 200;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw new InvalidResult(`statusCode must be an integer from 200 to 599, got ${inspect(status)}`);
  }
  const headers: Array<[string, string]> = [];
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers)) throw new InvalidResult('headers must be an object');
    for (const [name, value] of Object.entries(r.headers)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        throw new InvalidResult(`header ${name} must be a string, got ${inspect(value)}`);
      }
      headers.push(header(name, String(value)));
    }
  }
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies) || r.cookies.some((c) => typeof c !== 'string')) {
      throw new InvalidResult('cookies must be an array of strings');
    }
    for (const cookie of r.cookies as string[]) headers.push(header('set-cookie', cookie));
  }
  let body: Buffer;
  if (r.body === undefined || r.body === null) body = Buffer.alloc(0);
  else if (typeof r.body !== 'string') throw new InvalidResult(`body must be a string, got ${inspect(r.body, { depth: 0 })}`);
  else body = Buffer.from(r.body, r.isBase64Encoded === true ? 'base64' : 'utf8');
  return { t: 'result', status, headers, body: limited(body, maxBytes) };
}

function header(name: string, value: string): [string, string] {
  if (!TOKEN.test(name)) throw new InvalidResult(`invalid header name ${inspect(name)}`);
  if (BAD_VALUE.test(value)) throw new InvalidResult(`invalid value for header ${name}`);
  return [name.toLowerCase(), value];
}

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (err) {
    throw new InvalidResult(`the handler's result cannot be sent as JSON: ${(err as Error).message}`);
  }
}

function limited(body: Buffer, maxBytes: number): Buffer {
  if (body.byteLength > maxBytes) throw new ResponseTooLarge(maxBytes);
  return body;
}
