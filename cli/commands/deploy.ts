import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { number, pairs, parse } from '../args.js';
import { problem } from '../client.js';
import type { Command } from '../context.js';
import { BUNDLE_ENTRY, bundleFunction } from '../deploy/bundle.js';
import { readManifestFile } from '../deploy/manifest-file.js';
import { packDirectory } from '../deploy/pack.js';
import { CliError, UsageError } from '../errors.js';

export const usage = 'usage: tsfn deploy <dir> [--name N] [--memory MiB] [--cpu N] [--timeout S] [--env K=V]...';

const deploy: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {
    name: { type: 'string' }, memory: { type: 'string' }, cpu: { type: 'string' },
    timeout: { type: 'string' }, env: { type: 'string', multiple: true },
  });
  if (positionals.length !== 1) throw new UsageError(usage);
  const dir = resolve(positionals[0]!);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError('Not a directory', dir);
  const fileManifest = readManifestFile(dir);
  const manifest = {
    ...fileManifest,
    name: values.name ?? fileManifest.name ?? basename(dir),
    ...(values.memory !== undefined && { memory: number(values.memory, '--memory') }),
    ...(values.cpu !== undefined && { cpu: number(values.cpu, '--cpu') }),
    ...(values.timeout !== undefined && { timeout: number(values.timeout, '--timeout') }),
    ...(values.env && { env: { ...fileManifest.env, ...pairs(values.env, '=', '--env') } }),
    entry: BUNDLE_ENTRY,
  };
  const say = values.json ? () => {} : (s: string) => ctx.err(s);

  const out = await mkdtemp(join(tmpdir(), 'tsfn-bundle-'));
  try {
    say(`bundling ${dir}`);
    const bundle = await bundleFunction(dir, out);
    if (bundle.natives.length) say(`native packages shipped beside the bundle: ${bundle.natives.join(', ')}`);
    const packed = await packDirectory(out, bundle.files);
    say(`packed ${bundle.files.length} files, ${formatBytes(packed.data.length)} (${packed.digest.slice(0, 19)}…)`);
    say(`uploading to ${ctx.client(values).opts.url}`);
    const form = new FormData();
    form.set('manifest', JSON.stringify(manifest));
    form.set('artifact', new Blob([packed.data], { type: 'application/gzip' }), 'artifact.tar.gz');
    const res = await ctx.client(values).request('PUT', `/v1/functions/${encodeURIComponent(manifest.name)}`, { body: form });
    if (!res.ok) throw await problem(res);
    const body = await res.json() as { name: string; version: number; digest: string; size: number; url: string; created: boolean };
    if (values.json) {
      ctx.out(JSON.stringify(body));
    } else {
      say(body.created ? 'ready' : 'ready (identical to an existing version: no new version)');
      ctx.out(`name:    ${body.name}\nversion: ${body.version}\ndigest:  ${body.digest}\nsize:    ${formatBytes(body.size)}\nurl:     ${body.url}`);
    }
    return 0;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
};

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

export default deploy;
