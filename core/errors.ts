/**
 * One error class that knows how to become an RFC 9457 problem document,
 * with a small subclass per HTTP status the API promises (SPEC §3).
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  invocationId?: string;
  [extra: string]: unknown;
}

export class TsfnError extends Error {
  readonly status: number;
  readonly title: string;
  readonly type: string;
  readonly detail: string;
  readonly invocationId: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    title: string,
    detail: string,
    opts: { type?: string; invocationId?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(`${title}: ${detail}`, { cause: opts.cause });
    this.name = new.target.name;
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = opts.type ?? `https://tsfn.dev/problems/${slug(title)}`;
    this.invocationId = opts.invocationId;
    this.headers = opts.headers ?? {};
  }

  toProblem(): Problem {
    const p: Problem = { type: this.type, title: this.title, status: this.status, detail: this.detail };
    if (this.invocationId) p.invocationId = this.invocationId;
    return p;
  }

  getResponse(): Response {
    return new Response(JSON.stringify(this.toProblem()), {
      status: this.status,
      headers: { 'content-type': 'application/problem+json', ...this.headers,
        ...(this.invocationId ? { 'x-tsfn-invocation-id': this.invocationId } : {}) },
    });
  }
}

type Opts = ConstructorParameters<typeof TsfnError>[3];

export class BadRequest extends TsfnError {
  constructor(detail: string, opts?: Opts) { super(400, 'Bad Request', detail, opts); }
}
export class Unauthorized extends TsfnError {
  constructor(detail: string, opts?: Opts) {
    super(401, 'Unauthorized', detail, { ...opts, headers: { 'www-authenticate': 'Bearer', ...opts?.headers } });
  }
}
export class Forbidden extends TsfnError {
  constructor(detail: string, opts?: Opts) { super(403, 'Forbidden', detail, opts); }
}
export class NotFound extends TsfnError {
  constructor(detail: string, opts?: Opts) { super(404, 'Not Found', detail, opts); }
}
export class Conflict extends TsfnError {
  constructor(detail: string, opts?: Opts) { super(409, 'Conflict', detail, opts); }
}
export class PayloadTooLarge extends TsfnError {
  constructor(detail: string, opts?: Opts) { super(413, 'Payload Too Large', detail, opts); }
}
export class TooManyRequests extends TsfnError {
  constructor(detail: string, retryAfterS: number, opts?: Opts) {
    super(429, 'Too Many Requests', detail, { ...opts, headers: { 'retry-after': String(retryAfterS), ...opts?.headers } });
  }
}
/** The function crashed, was killed for memory, or answered something invalid. */
export class FunctionFailed extends TsfnError {
  constructor(detail: string, opts?: Opts) { super(502, 'Function Failed', detail, opts); }
}
export class Unavailable extends TsfnError {
  constructor(detail: string, opts?: Opts) { super(503, 'Service Unavailable', detail, opts); }
}
export class FunctionTimeout extends TsfnError {
  constructor(detail: string, opts?: Opts) { super(504, 'Function Timeout', detail, opts); }
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}
