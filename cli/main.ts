import type { Command } from './context.js';
import { defaultContext } from './context.js';
import { CliError, UsageError } from './errors.js';

/** Registers the verbs; each lives in its own file under commands/ and is loaded on use. */
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  up: () => import('./commands/up.js'),
  run: () => import('./commands/run.js'),
  doctor: () => import('./commands/doctor.js'),
  init: () => import('./commands/init.js'),
  deploy: () => import('./commands/deploy.js'),
  invoke: () => import('./commands/invoke.js'),
  ls: () => import('./commands/ls.js'),
  info: () => import('./commands/info.js'),
  rm: () => import('./commands/rm.js'),
  versions: () => import('./commands/versions.js'),
  rollback: () => import('./commands/rollback.js'),
  logs: () => import('./commands/logs.js'),
  usage: () => import('./commands/usage.js'),
  accounts: () => import('./commands/accounts.js'),
  keys: () => import('./commands/keys.js'),
  gateway: () => import('./commands/gateway.js'),
  invoker: () => import('./commands/invoker.js'),
  meter: () => import('./commands/meter.js'),
};

const HELP = `tsfn: serverless TypeScript functions on Linux containers

usage: tsfn <command> [options]

  up                      run the platform on this host (gateway, invoker, meter)
  run -- CMD [ARG]...     run CMD in a one-off container
  doctor                  check this host
  init <dir>              scaffold a function
  deploy <dir>            bundle and deploy a function
  invoke <name[@v]>       call a function
  ls | info | rm          list, describe, delete functions
  versions | rollback     version history; point latest back
  logs <name>             function logs (-f follows)
  usage                   usage and cost
  accounts | keys         tenants and API keys (admin)
  gateway | invoker | meter   run one component (several hosts)

global options: --url URL (TSFN_URL), --api-key KEY (TSFN_API_KEY), --json`;

export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    defaultContext.out(HELP);
    return verb ? 0 : 2;
  }
  const load = COMMANDS[verb];
  if (!load) {
    defaultContext.err(`tsfn: unknown command "${verb}" (see tsfn --help)`);
    return 2;
  }
  try {
    return await (await load()).default(rest, defaultContext);
  } catch (err) {
    if (err instanceof UsageError) {
      defaultContext.err(`tsfn ${verb}: ${err.message}`);
      return 2;
    }
    if (err instanceof CliError) {
      defaultContext.err(err.message);
      return 1;
    }
    defaultContext.err(`tsfn ${verb}: ${(err as Error).message}`);
    return 1;
  }
}
