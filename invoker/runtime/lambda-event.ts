import type { InvokeFrame } from '../../core/schemas/control.js';

/** API Gateway HTTP API / Lambda Function URL request, payload format 2.0. */
export interface HttpEventV2 {
  version: '2.0';
  routeKey: '$default';
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: '$default';
    stage: '$default';
    time: string;
    timeEpoch: number;
  };
  body?: string;
  isBase64Encoded: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TEXT_TYPES = new Set([
  'application/json', 'application/javascript', 'application/ecmascript', 'application/xml',
  'application/x-www-form-urlencoded', 'application/graphql', 'application/x-ndjson', 'application/yaml',
]);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function buildHttpEvent(invoke: InvokeFrame, body: Uint8Array, functionName: string, now: number): HttpEventV2 {
  const { http } = invoke;
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [rawName, value] of http.headers) {
    const name = rawName.toLowerCase();
    // Format 2.0 moves cookies out of the headers into their own array.
    if (name === 'cookie') cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
    else appendJoined(headers, name, value);
  }
  const domainName = headers.host ?? 'localhost';
  const event: HttpEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: http.path,
    rawQueryString: http.query,
    headers,
    requestContext: {
      accountId: invoke.account,
      apiId: functionName,
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: {
        method: http.method.toUpperCase(),
        path: http.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: invoke.id,
      routeKey: '$default',
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  if (cookies.length) event.cookies = cookies;
  const query = queryParameters(http.query);
  if (query) event.queryStringParameters = query;
  if (body.byteLength) {
    const text = isTextual(headers['content-type']) ? utf8OrUndefined(body) : undefined;
    if (text === undefined) {
      event.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
      event.isBase64Encoded = true;
    } else {
      event.body = text;
    }
  }
  return event;
}

/** The event a Lambda handler gets for a JSON invocation: the JSON itself; `{}` when empty. */
export function parseJsonEvent(body: Uint8Array): unknown {
  if (!body.byteLength) return {};
  return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
}

/** Duplicate keys are comma-joined, as API Gateway does. */
function queryParameters(raw: string): Record<string, string> | undefined {
  if (!raw) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(raw)) appendJoined(out, key, value);
  return Object.keys(out).length ? out : undefined;
}

/** Comma-joins repeats; defines rather than assigns so that names like `__proto__` stay plain keys. */
function appendJoined(target: Record<string, string>, key: string, value: string): void {
  const previous = Object.hasOwn(target, key) ? target[key] : undefined;
  Object.defineProperty(target, key, {
    value: previous === undefined ? value : `${previous},${value}`,
    enumerable: true, writable: true, configurable: true,
  });
}

export function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  return mime.startsWith('text/') || mime.endsWith('+json') || mime.endsWith('+xml') || TEXT_TYPES.has(mime);
}

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** `12/Mar/2020:19:03:58 +0000`, the format of requestContext.time. */
export function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
