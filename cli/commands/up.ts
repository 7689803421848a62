import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { paths } from '../../core/paths.js';
import { createDb } from '../../infra/db.js';
import { migrate } from '../../infra/migrate.js';
import { KeyStore } from '../../gateway/store/key-store.js';
import { number, parse } from '../args.js';
import { cliConfig } from '../component.js';
import type { Command } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { readAdminKey, saveAdminKey, credentialsFile } from '../up/credentials.js';
import { deployExamples } from '../up/examples.js';
import { startBackbone } from '../up/services.js';
import { Supervisor } from '../up/supervisor.js';

export const usage = 'usage: tsfn up [--data-dir DIR] [--port N] [--deploy-examples]';

/**
 * `tsfn up`: the whole platform on this host, in the foreground. Redis and
 * PostgreSQL from REDIS_URL / DATABASE_URL or private servers; then gateway,
 * invoker and meter as supervised child processes.
 */
const up: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {
    'data-dir': { type: 'string' }, port: { type: 'string' }, 'deploy-examples': { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(usage);
  const port = number(values.port, '--port');
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port must be a TCP port (0-65535), got "${values.port}"`);
  const env = { ...process.env };
  if (values['data-dir']) env.TSFN_DATA_DIR = values['data-dir'];
  if (port !== undefined) env.TSFN_PORT = String(port);
  const config = cliConfig(env);
  if (process.getuid?.() !== 0) {
    throw new CliError('Needs root', 'the invoker creates namespaces, mounts and cgroups: run `sudo tsfn up` (see `tsfn doctor`)');
  }
  mkdirSync(config.TSFN_DATA_DIR, { recursive: true, mode: 0o700 });
  const log = (s: string) => ctx.err(s);

  const backbone = await startBackbone(config, log);
  const supervisor = new Supervisor(log);
  const shutdown = async () => {
    log('tsfn up: stopping (the invoker finishes running invocations first)');
    await supervisor.stop();
    for (const s of backbone.started.reverse()) await s.stop();
  };
  try {
    const db = createDb(backbone.databaseUrl, config.TSFN_DB_SCHEMA, 2);
    await migrate(db, config.TSFN_DB_SCHEMA);
    const generated = config.TSFN_ADMIN_KEY ? undefined : await new KeyStore(db).bootstrapAdminKey();
    await db.end();
    if (generated) {
      saveAdminKey(config.TSFN_DATA_DIR, generated);
      log(`\nadmin API key (shown once; also saved to ${credentialsFile(config.TSFN_DATA_DIR)}):\n  ${generated}\n`);
    }
    const adminKey = config.TSFN_ADMIN_KEY ?? readAdminKey(config.TSFN_DATA_DIR);

    const childEnv = { ...env, REDIS_URL: backbone.redisUrl, DATABASE_URL: backbone.databaseUrl, NODE_EXTRA_CA_CERTS: undefined };
    const bin = join(paths.root, 'bin', 'tsfn.js');
    for (const name of ['gateway', 'invoker', 'meter']) supervisor.start({ name, argv: [bin, name], env: childEnv });

    const url = `http://${config.TSFN_HOST}:${config.TSFN_PORT}`;
    await waitReady(url, 90_000);
    log(`tsfn is up: ${url} (Ctrl-C stops it)`);
    if (values['deploy-examples']) {
      if (!adminKey) throw new CliError('No admin key', `set TSFN_ADMIN_KEY or restore ${credentialsFile(config.TSFN_DATA_DIR)}`);
      const names = await deployExamples(url, adminKey, ctx);
      log('\nexamples deployed:');
      for (const n of names) log(`  ${n.padEnd(10)} ${url}/fn/${n}`);
      log(`\ntry:\n  curl ${url}/fn/hello?name=you\n  curl -X POST ${url}/fn/api/todos -H 'content-type: application/json' -d '{"title":"ship it"}'\n`);
    }
  } catch (err) {
    await shutdown();
    throw err;
  }
  // SIGHUP too (the terminal went away): the private servers have process
  // groups of their own and would outlive an unhandled hang-up.
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM'), once(process, 'SIGHUP')]);
  await shutdown();
  return 0;
};

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
      last = JSON.stringify((await res.json() as { checks?: unknown }).checks);
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new CliError('Not ready', `the platform did not become ready within ${timeoutMs / 1000} s: ${last}`);
}

export default up;
