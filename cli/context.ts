import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from './client.js';
import { readAdminKey } from './up/credentials.js';

/** What a command needs besides its own arguments. */
export interface CliContext {
  client(values: { url?: string; 'api-key'?: string }): ApiClient;
  out(line: string): void;
  err(line: string): void;
}

export const defaultContext: CliContext = {
  client: (v) => new ApiClient({
    url: v.url ?? process.env.TSFN_URL ?? 'http://127.0.0.1:8080',
    apiKey: v['api-key'] ?? process.env.TSFN_API_KEY ?? readAdminKey(process.env.TSFN_DATA_DIR ?? join(homedir(), '.tsfn')),
  }),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** A command: parses its own argv and returns the exit code. */
export type Command = (argv: string[], ctx: CliContext) => Promise<number>;
