import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../infra/db.js';
import { Conflict, NotFound } from '../../core/errors.js';
import type { Principal } from '../../core/principal.js';

export interface KeyInfo {
  id: string;
  account: string;
  admin: boolean;
  createdAt: Date;
  revokedAt: Date | null;
}

const KEY_RE = /^tsfn_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const CACHE_MS = 5_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Accounts and API keys. A key is `tsfn_<id>_<secret>`; only sha256(secret)
 * is stored, and the key is shown once, when created. The bootstrap admin key
 * (TSFN_ADMIN_KEY) is any string of 16+ characters, checked by hash.
 */
export class KeyStore {
  private cache = new Map<string, { principal: Principal | undefined; until: number }>();
  private readonly adminHash: Buffer | undefined;

  constructor(private readonly db: Db, adminKey?: string) {
    this.adminHash = adminKey ? Buffer.from(sha256(adminKey), 'hex') : undefined;
  }

  async verify(key: string): Promise<Principal | undefined> {
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    const principal = await this.lookup(key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { principal, until: now + CACHE_MS });
    return principal;
  }

  private async lookup(key: string): Promise<Principal | undefined> {
    if (this.adminHash && timingSafeEqual(Buffer.from(sha256(key), 'hex'), this.adminHash)) {
      return { account: 'default', admin: true, keyId: 'env' };
    }
    const m = KEY_RE.exec(key);
    if (!m) return undefined;
    const row = (await this.db.query(
      'select account, hash, admin from api_keys where id = $1 and revoked_at is null', [m[1]])).rows[0];
    if (!row) return undefined;
    const ok = timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(sha256(m[2]!), 'hex'));
    return ok ? { account: row.account, admin: row.admin, keyId: m[1]! } : undefined;
  }

  async createKey(account: string, admin = false): Promise<{ id: string; key: string }> {
    await this.requireAccount(account);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    await this.db.query('insert into api_keys (id, account, hash, admin) values ($1, $2, $3, $4)',
      [id, account, sha256(secret), admin]);
    return { id, key: `tsfn_${id}_${secret}` };
  }

  async listKeys(account?: string): Promise<KeyInfo[]> {
    const { rows } = await this.db.query(
      `select * from api_keys where ($1::text is null or account = $1) order by created_at, id`, [account ?? null]);
    return rows.map((r) => ({ id: r.id, account: r.account, admin: r.admin, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  /** Revokes a key; with `account`, only a key of that account. */
  async revokeKey(id: string, account?: string): Promise<void> {
    const { rowCount } = await this.db.query(
      `update api_keys set revoked_at = now()
       where id = $1 and revoked_at is null and ($2::text is null or account = $2)`, [id, account ?? null]);
    if (!rowCount) throw new NotFound(`no active key ${id}`);
    this.cache.clear();
  }

  async createAccount(name: string): Promise<void> {
    const { rowCount } = await this.db.query(
      'insert into accounts (name) values ($1) on conflict do nothing', [name]);
    if (!rowCount) throw new Conflict(`account ${name} already exists`);
  }

  async listAccounts(): Promise<{ name: string; createdAt: Date }[]> {
    const { rows } = await this.db.query('select name, created_at from accounts order by name');
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at }));
  }

  /** The first start without TSFN_ADMIN_KEY creates an admin key; later starts find one. */
  async bootstrapAdminKey(): Promise<string | undefined> {
    const { rows } = await this.db.query('select 1 from api_keys where admin and revoked_at is null limit 1');
    if (rows.length) return undefined;
    return (await this.createKey('default', true)).key;
  }

  private async requireAccount(account: string) {
    const { rowCount } = await this.db.query('select 1 from accounts where name = $1', [account]);
    if (!rowCount) throw new NotFound(`no account named ${account}`);
  }
}
