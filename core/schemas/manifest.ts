import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** SPEC §1: a function's name, as used in URLs and CLI arguments. */
export const FunctionName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must match ^[a-z][a-z0-9-]{0,62}$');

export const EnvVars = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _'),
  z.string().max(32 * 1024),
).refine((env) => Object.keys(env).length <= 256, 'at most 256 environment variables');

/** A cron expression of 5 or 6 fields; BullMQ's cron-parser checks it further. */
export const Schedule = z.string().regex(/^\S+( \S+){4,5}$/, 'a cron expression of 5 or 6 fields');

/** `tsfn.json` as the user writes it: every field optional (SPEC §1). */
export const ManifestInput = z.object({
  name: FunctionName.optional(),
  memory: z.number().int().min(64).max(4096).optional(),
  cpu: z.number().min(0.05).max(availableParallelism()).optional(),
  timeout: z.number().int().min(1).max(900).optional(),
  concurrency: z.number().int().min(1).max(1000).optional(),
  minWarm: z.number().int().min(0).max(100).optional(),
  env: EnvVars.optional(),
  public: z.boolean().optional(),
  schedule: Schedule.optional(),
  retries: z.number().int().min(0).max(10).optional(),
  entry: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
}).strict();
export type ManifestInput = z.infer<typeof ManifestInput>;

/** The manifest with every default filled in, as stored with a version. */
export const Manifest = z.object({
  name: FunctionName,
  memory: z.number().int().min(64).max(4096),
  cpu: z.number().min(0.05),
  timeout: z.number().int().min(1).max(900),
  concurrency: z.number().int().min(1).max(1000),
  minWarm: z.number().int().min(0).max(100),
  env: EnvVars,
  public: z.boolean(),
  schedule: Schedule.optional(),
  retries: z.number().int().min(0).max(10),
  /** The bundle's entry file inside the artifact. */
  entry: z.string(),
});
export type Manifest = z.infer<typeof Manifest>;

export function resolveManifest(input: ManifestInput, fallbackName: string): Manifest {
  const memory = input.memory ?? 128;
  const cpu = input.cpu ?? Math.max(0.05, Math.round((memory / 1769) * 1000) / 1000);
  return Manifest.parse({
    name: input.name ?? fallbackName,
    memory,
    cpu,
    timeout: input.timeout ?? 10,
    concurrency: input.concurrency ?? 10,
    minWarm: input.minWarm ?? 0,
    env: input.env ?? {},
    public: input.public ?? true,
    schedule: input.schedule,
    retries: input.retries ?? 2,
    entry: input.entry ?? 'index.mjs',
  });
}
