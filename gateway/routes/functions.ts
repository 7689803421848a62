import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { z } from 'zod';
import { BadRequest, NotFound } from '../../core/errors.js';
import { canAccess } from '../../core/principal.js';
import { FunctionName, ManifestInput, resolveManifest } from '../../core/schemas/manifest.js';
import { extractArtifact, UnsafeArtifactError } from '../../invoker/layers/safe-extract.js';
import type { GatewayEnv } from '../env.js';
import type { GatewayDeps } from '../deps.js';
import { readBody } from '../read-body.js';
import { syncSchedule, validateSchedule } from '../schedules.js';
import type { FunctionRow, VersionRow } from '../store/function-store.js';

/** Most files an artifact may hold once extracted. */
const MAX_FILES = 10_000;

/** /v1/functions: deploy, list, describe, delete, versions, rollback. */
export function functionRoutes(deps: GatewayDeps) {
  const app = new Hono<GatewayEnv>();
  const maxArtifact = deps.config.TSFN_MAX_ARTIFACT_MIB * 1048576;

  /** The function, if the caller may see it; others' functions do not exist for them. */
  const owned = async (name: string, c: { get(k: 'principal'): GatewayEnv['Variables']['principal'] }): Promise<FunctionRow> => {
    const fn = await deps.store.get(FunctionName.parse(name));
    if (!fn || !canAccess(c.get('principal'), fn.account)) throw new NotFound(`no function named ${name}`);
    return fn;
  };
  const changed = async (fn: FunctionRow, latest: VersionRow | undefined) => {
    await syncSchedule(deps.invocations.queue, fn.account, latest, fn.name);
    deps.functions.drop(fn.name);
    await deps.redis.publish(deps.redisKeys.functionChanged, fn.name);
  };

  app.put('/functions/:name', async (c) => {
    const name = c.req.param('name');
    const parsedName = FunctionName.safeParse(name);
    if (!parsedName.success) throw new BadRequest(`"${name}" is not a valid function name: must match ^[a-z][a-z0-9-]{0,62}$`);
    const ct = c.req.header('content-type') ?? '';
    if (!ct.startsWith('multipart/form-data')) throw new BadRequest('deploy is a multipart/form-data upload with fields manifest and artifact');
    const raw = await readBody(c.req.raw, maxArtifact + 1048576, 'a deploy');
    const form = await new Response(raw, { headers: { 'content-type': ct } }).formData()
      .catch(() => { throw new BadRequest('the multipart body could not be parsed'); });
    const manifestField = form.get('manifest');
    const artifactField = form.get('artifact');
    if (typeof manifestField !== 'string') throw new BadRequest('the form field "manifest" (JSON) is missing');
    if (!artifactField || typeof artifactField === 'string') throw new BadRequest('the form field "artifact" (a tar.gz file) is missing');
    let json: unknown;
    try {
      json = JSON.parse(manifestField);
    } catch {
      throw new BadRequest('the manifest is not valid JSON');
    }
    const input = ManifestInput.parse(json);
    if (input.name && input.name !== name) throw new BadRequest(`the manifest names "${input.name}" but the URL names "${name}"`);
    const manifest = resolveManifest(input, name);
    if (manifest.schedule) validateSchedule(manifest.schedule);
    const data = Buffer.from(await artifactField.arrayBuffer());
    if (data.length > maxArtifact) throw new BadRequest(`the artifact is ${data.length} bytes; at most ${maxArtifact} are allowed`);
    await validateArtifact(data, manifest.entry, maxArtifact);
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;

    const principal = c.get('principal')!;
    const { version, created } = await deps.store.deploy(principal.account, manifest, { digest, size: data.length, data });
    const fn = (await deps.store.get(name))!;
    await changed(fn, version);
    return c.json({
      name, version: version.version, digest, size: data.length, created,
      url: `${deps.publicUrl}/fn/${name}`,
    }, created ? 201 : 200);
  });

  app.get('/functions', async (c) => {
    const p = c.get('principal')!;
    const account = c.req.query('account');
    const fns = await deps.store.list(p.admin ? account : p.account);
    return c.json({ functions: await Promise.all(fns.map(async (fn) => describe(fn, await deps.store.version(fn.name)))) });
  });

  app.get('/functions/:name', async (c) => {
    const fn = await owned(c.req.param('name'), c);
    return c.json(describe(fn, await deps.store.version(fn.name)));
  });

  app.delete('/functions/:name', async (c) => {
    const fn = await owned(c.req.param('name'), c);
    await deps.store.remove(fn.name);
    await changed(fn, undefined);
    return c.json({ name: fn.name, deleted: true });
  });

  app.get('/functions/:name/versions', async (c) => {
    const fn = await owned(c.req.param('name'), c);
    const versions = await deps.store.versions(fn.name);
    return c.json({
      name: fn.name,
      versions: versions.map((v) => ({ ...versionInfo(v), latest: v.version === fn.latestVersion })),
    });
  });

  app.post('/functions/:name/rollback', async (c) => {
    const fn = await owned(c.req.param('name'), c);
    const body = z.object({ version: z.number().int().positive() }).parse(await c.req.json().catch(() => {
      throw new BadRequest('the body must be JSON: {"version": <number>}');
    }));
    const target = await deps.store.rollback(fn.name, body.version);
    await changed(fn, target);
    return c.json({ name: fn.name, version: target.version, digest: target.digest });
  });

  function describe(fn: FunctionRow, latest: VersionRow) {
    return {
      name: fn.name, account: fn.account, url: `${deps.publicUrl}/fn/${fn.name}`,
      ...versionInfo(latest), createdAt: fn.createdAt, updatedAt: fn.updatedAt,
    };
  }
  return app;
}

function versionInfo(v: VersionRow) {
  return { version: v.version, digest: v.digest, deployedAt: v.createdAt, manifest: v.manifest };
}

/** A real gzip tar, free of breakouts, within the caps, holding the entry file. */
async function validateArtifact(data: Buffer, entry: string, maxBytes: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tsfn-artifact-'));
  try {
    const dest = join(dir, 'x');
    await extractArtifact(data, dest, { maxBytes: maxBytes * 4, maxFiles: MAX_FILES });
    const st = await stat(join(dest, entry)).catch(() => undefined);
    if (!st?.isFile()) throw new BadRequest(`the artifact has no entry file ${entry}`);
  } catch (err) {
    if (err instanceof UnsafeArtifactError) throw new BadRequest(`the artifact was refused: ${err.message}`);
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
