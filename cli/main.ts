import type { CliContext, Command } from './context.js';
import { defaultContext } from './context.js';
import { CliError, UsageError } from './errors.js';

/** Registers the verbs; each lives in its own file under commands/ and is loaded on use. */
export const COMMANDS: Record<string, () => Promise<{ default: Command; usage: string }>> = {
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

/**
 * `--help` or `-h` among a command's own options (before any `--`): its
 * usage, and nothing run. `tsfn rm hello --help` must not delete hello.
 */
export function asksForHelp(args: string[]): boolean {
  const dash = args.indexOf('--');
  return (dash < 0 ? args : args.slice(0, dash)).some((a) => a === '--help' || a === '-h');
}

export async function main(argv: string[], ctx: CliContext = defaultContext): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    ctx.out(HELP);
    return verb ? 0 : 2;
  }
  const load = COMMANDS[verb];
  if (!load) {
    ctx.err(`tsfn: unknown command "${verb}" (see tsfn --help)`);
    return 2;
  }
  try {
    const command = await load();
    if (asksForHelp(rest)) {
      ctx.out(command.usage);
      return 0;
    }
    return await command.default(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.err(`tsfn ${verb}: ${err.message}`);
      return 2;
    }
    if (err instanceof CliError) {
      ctx.err(err.message);
      return 1;
    }
    ctx.err(`tsfn ${verb}: ${(err as Error).message}`);
    return 1;
  }
}
