import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The admin key `tsfn up` generated, kept in the data directory (mode 0600)
 * so that the CLI on the same host finds it without TSFN_API_KEY.
 */
export const credentialsFile = (dataDir: string) => join(dataDir, 'credentials');

export function saveAdminKey(dataDir: string, key: string): void {
  writeFileSync(credentialsFile(dataDir), `${key}\n`, { mode: 0o600 });
}

export function readAdminKey(dataDir: string): string | undefined {
  const file = credentialsFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
