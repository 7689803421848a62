import { homedir, totalmem } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Every setting tsfn reads from the environment (SPEC §5), validated once.
 * The README's configuration table is written from this file.
 */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
/** A switch: `1` on, `0` off; nothing else, so that a typo is an error rather than a silent default. */
const flag = (on: boolean) => z.enum(['0', '1']).default(on ? '1' : '0').transform((v) => v === '1');

const Env = z.object({
  REDIS_URL: z.string().url().optional(),
  DATABASE_URL: z.string().optional(),
  TSFN_PORT: int(0, 65535).default(8080),
  TSFN_HOST: z.string().default('127.0.0.1'),
  TSFN_DATA_DIR: z.string().default(join(homedir(), '.tsfn')),
  TSFN_ADMIN_KEY: z.string().min(16).optional(),
  TSFN_INVOKER_MEMORY_MIB: int(64).default(Math.floor((totalmem() / 1048576) * 0.75)),
  TSFN_PREWARM: int(0, 256).default(2),
  TSFN_KEEP_ALIVE_S: int(1).default(600),
  TSFN_PREFIX: z.string().regex(/^[a-zA-Z0-9_:{}-]+$/).default('tsfn'),
  TSFN_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('public'),
  TSFN_URL: z.string().url().default('http://127.0.0.1:8080'),
  TSFN_PUBLIC_URL: z.string().url().optional(),
  TSFN_RECORD_RETENTION_DAYS: int(1).default(90),
  TSFN_LOG_RETENTION_DAYS: int(1).default(14),
  TSFN_MAX_ARTIFACT_MIB: int(1, 1024).default(50),
  TSFN_LAYER_BUDGET_MIB: int(64).default(10240),
  TSFN_QUEUE_PER_FUNCTION: int(0).default(100),
  TSFN_JOB_LOCK_MS: int(1000).default(30_000),
  /** The invoker keeps the kernel's cgroup favordynmods mode on while it runs (cgroup v1; native/README.md). */
  TSFN_CGROUP_FAVOR_DYNMODS: flag(true),
});

export type Config = z.infer<typeof Env>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${String(issue.path[0])}: ${issue.message}`);
  }
  return parsed.data;
}
