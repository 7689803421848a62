import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestInput } from '../../core/schemas/manifest.js';
import { CliError } from '../errors.js';

/** Reads `<dir>/tsfn.json` (optional), validated with the same schema the gateway uses. */
export function readManifestFile(dir: string): ManifestInput {
  const file = join(dir, 'tsfn.json');
  if (!existsSync(file)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError('Invalid tsfn.json', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ManifestInput.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError('Invalid tsfn.json', `${issue.path.join('.') || 'manifest'}: ${issue.message}`);
  }
  return parsed.data;
}
