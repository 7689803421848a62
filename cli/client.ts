import { CliError } from './errors.js';

export interface ClientOptions {
  url: string;
  apiKey?: string;
}

/** The gateway's HTTP API for CLI commands; a problem+json answer becomes a CliError. */
export class ApiClient {
  constructor(readonly opts: ClientOptions) {}

  async request(method: string, path: string, init: { json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    let res: Response;
    try {
      res = await fetch(new URL(path, this.opts.url), { method, headers, body, duplex: 'half' } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError('Unreachable', `cannot reach the gateway at ${this.opts.url} (${cause}); is \`tsfn up\` running?`);
    }
    return res;
  }

  /** Like request, but a non-2xx answer throws with the problem's title and detail. */
  async call<T = any>(method: string, path: string, init: Parameters<ApiClient['request']>[2] = {}): Promise<T> {
    const res = await this.request(method, path, init);
    if (!res.ok) throw await problem(res);
    return (await res.json()) as T;
  }
}

export async function problem(res: Response): Promise<CliError> {
  const text = await res.text();
  try {
    const p = JSON.parse(text);
    if (p && typeof p.title === 'string') return new CliError(p.title, p.detail ?? `HTTP ${res.status}`);
  } catch { /* not JSON */ }
  return new CliError(`HTTP ${res.status}`, text.slice(0, 200) || res.statusText);
}
