import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundleFunction } from '../../cli/deploy/bundle.js';
import { packDirectory, type Packed } from '../../cli/deploy/pack.js';

/** Bundles and packs a function given as files (path -> source), as `tsfn deploy` does. */
export async function buildArtifact(files: Record<string, string>): Promise<Packed> {
  const src = await mkdtemp(join(tmpdir(), 'tsfn-fn-src-'));
  const out = await mkdtemp(join(tmpdir(), 'tsfn-fn-out-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(src, path)), { recursive: true });
      await writeFile(join(src, path), text);
    }
    const bundle = await bundleFunction(src, out);
    return await packDirectory(out, bundle.files);
  } finally {
    await rm(src, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  }
}

/** A deploy request body (multipart) for the gateway. */
export function deployForm(manifest: unknown, artifact: Buffer): FormData {
  const form = new FormData();
  form.set('manifest', typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  form.set('artifact', new Blob([artifact], { type: 'application/gzip' }), 'artifact.tar.gz');
  return form;
}

/** Deploys through the gateway's HTTP API; returns the parsed answer and status. */
export async function deploy(url: string, key: string, name: string, manifest: Record<string, unknown>, artifact: Buffer) {
  const res = await fetch(`${url}/v1/functions/${name}`, {
    method: 'PUT', headers: { authorization: `Bearer ${key}` },
    body: deployForm({ entry: 'index.mjs', ...manifest }, artifact),
  });
  return { status: res.status, body: await res.json() as any };
}
