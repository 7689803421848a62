import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../../core/paths.js';
import type { CliContext } from '../context.js';
import deploy from '../commands/deploy.js';

/** Deploys every example in functions/ to the gateway at `url`; returns their names. */
export async function deployExamples(url: string, apiKey: string, ctx: CliContext): Promise<string[]> {
  const names = readdirSync(paths.functions).filter((d) => statSync(join(paths.functions, d)).isDirectory()).sort();
  const quiet: CliContext = { ...ctx, out: () => {}, err: () => {} };
  for (const name of names) {
    const code = await deploy([join(paths.functions, name), '--url', url, '--api-key', apiKey, '--json'], quiet);
    if (code !== 0) throw new Error(`deploying the example ${name} failed`);
  }
  return names;
}
