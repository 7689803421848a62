import { createHash } from 'node:crypto';
import type { Db } from '../../infra/db.js';
import { Forbidden, NotFound } from '../../core/errors.js';
import { Manifest } from '../../core/schemas/manifest.js';
import type { FunctionSpec } from '../../core/schemas/invocation.js';

export interface FunctionRow {
  name: string;
  account: string;
  latestVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionRow {
  name: string;
  version: number;
  digest: string;
  manifest: Manifest;
  createdAt: Date;
}

export interface Artifact {
  digest: string;
  size: number;
  data: Buffer;
}

export interface DeployResult {
  version: VersionRow;
  /** false when identical content was deployed before: no new version. */
  created: boolean;
}

/** Functions, their immutable versions and their artifacts, in PostgreSQL. */
export class FunctionStore {
  constructor(private readonly db: Db) {}

  async deploy(account: string, manifest: Manifest, artifact: Artifact): Promise<DeployResult> {
    const configHash = createHash('sha256').update(artifact.digest).update(canonicalJson(manifest)).digest('hex');
    const client = await this.db.connect();
    try {
      await client.query('begin');
      await client.query(
        'insert into artifacts (digest, size, data) values ($1, $2, $3) on conflict (digest) do nothing',
        [artifact.digest, artifact.size, artifact.data]);
      await client.query(
        `insert into functions (name, account, latest_version) values ($1, $2, 0)
         on conflict (name) do nothing`, [manifest.name, account]);
      const fn = (await client.query('select account from functions where name = $1 for update', [manifest.name])).rows[0];
      if (fn.account !== account) {
        throw new Forbidden(`function ${manifest.name} belongs to another account; choose another name`);
      }
      const same = (await client.query(
        'select version from function_versions where function = $1 and config_hash = $2',
        [manifest.name, configHash])).rows[0];
      let version: number;
      if (same) {
        version = same.version;
      } else {
        version = (await client.query(
          'select coalesce(max(version), 0) + 1 as v from function_versions where function = $1',
          [manifest.name])).rows[0].v;
        await client.query(
          `insert into function_versions (function, version, digest, manifest, config_hash)
           values ($1, $2, $3, $4, $5)`,
          [manifest.name, version, artifact.digest, JSON.stringify(manifest), configHash]);
      }
      await client.query(
        'update functions set latest_version = $2, updated_at = now() where name = $1', [manifest.name, version]);
      await client.query('commit');
      return { version: await this.version(manifest.name, version), created: !same };
    } catch (err) {
      await client.query('rollback');
      throw err;
    } finally {
      client.release();
    }
  }

  async get(name: string): Promise<FunctionRow | undefined> {
    const r = (await this.db.query('select * from functions where name = $1', [name])).rows[0];
    return r && toFunction(r);
  }

  async list(account?: string): Promise<FunctionRow[]> {
    const { rows } = account
      ? await this.db.query('select * from functions where account = $1 order by name', [account])
      : await this.db.query('select * from functions order by name');
    return rows.map(toFunction);
  }

  /** A version, or the latest one when `version` is undefined. */
  async version(name: string, version?: number): Promise<VersionRow> {
    const { rows } = await this.db.query(
      `select v.* from function_versions v join functions f on f.name = v.function
       where v.function = $1 and v.version = coalesce($2, f.latest_version)`, [name, version ?? null]);
    if (!rows[0]) {
      throw new NotFound(version === undefined ? `no function named ${name}` : `function ${name} has no version ${version}`);
    }
    return toVersion(rows[0]);
  }

  async versions(name: string): Promise<VersionRow[]> {
    const { rows } = await this.db.query(
      'select * from function_versions where function = $1 order by version', [name]);
    return rows.map(toVersion);
  }

  async rollback(name: string, version: number): Promise<VersionRow> {
    const target = await this.version(name, version);
    await this.db.query('update functions set latest_version = $2, updated_at = now() where name = $1', [name, version]);
    return target;
  }

  async remove(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('delete from functions where name = $1', [name]);
    return (rowCount ?? 0) > 0;
  }

  async artifact(digest: string): Promise<Buffer | undefined> {
    const r = (await this.db.query('select data from artifacts where digest = $1', [digest])).rows[0];
    return r?.data;
  }
}

export function toSpec(account: string, v: VersionRow): FunctionSpec {
  const m = v.manifest;
  return {
    account, name: v.name, version: v.version, digest: v.digest, entry: m.entry,
    memory: m.memory, cpu: m.cpu, timeout: m.timeout, concurrency: m.concurrency, minWarm: m.minWarm, env: m.env,
  };
}

function toFunction(r: Record<string, any>): FunctionRow {
  return { name: r.name, account: r.account, latestVersion: r.latest_version, createdAt: r.created_at, updatedAt: r.updated_at };
}

function toVersion(r: Record<string, any>): VersionRow {
  return { name: r.function, version: r.version, digest: r.digest, manifest: Manifest.parse(r.manifest), createdAt: r.created_at };
}

/** JSON with sorted keys, so equal manifests hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as any)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
