import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse } from '../args.js';
import type { Command } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { FunctionName } from '../../core/schemas/manifest.js';

export const usage = 'usage: tsfn init <dir>';

const INDEX = `export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    return Response.json({ hello: url.searchParams.get('name') ?? 'world' });
  },
};
`;

const init: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {});
  if (positionals.length !== 1) throw new UsageError(usage);
  const dir = resolve(positionals[0]!);
  const name = basename(dir);
  if (!FunctionName.safeParse(name).success) {
    throw new UsageError(`the directory name "${name}" is not a valid function name (^[a-z][a-z0-9-]{0,62}$)`);
  }
  if (existsSync(dir) && readdirSync(dir).length) throw new CliError('Directory not empty', dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.ts'), INDEX);
  writeFileSync(join(dir, 'tsfn.json'), `${JSON.stringify({ name, memory: 128, timeout: 10 }, null, 2)}\n`);
  ctx.out(values.json ? JSON.stringify({ dir, name }) : `created ${dir}\nnext: tsfn deploy ${positionals[0]}`);
  return 0;
};
export default init;
