import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { runOneOff } from '../../invoker/container/one-off.js';
import { number, pairs, parse } from '../args.js';
import type { Command } from '../context.js';
import { CliError, UsageError } from '../errors.js';

export const usage = 'usage: tsfn run [--memory MiB] [--cpu N] [--pids N] [--timeout S] [--mount HOST:PATH[:ro]] [--env K=V] -- CMD [ARG]...';

const run: Command = async (argv) => {
  const dash = argv.indexOf('--');
  if (dash < 0 || dash === argv.length - 1) throw new UsageError(usage);
  const { values, positionals } = parse(argv.slice(0, dash), {
    memory: { type: 'string' }, cpu: { type: 'string' }, pids: { type: 'string' }, timeout: { type: 'string' },
    mount: { type: 'string', multiple: true }, env: { type: 'string', multiple: true },
  });
  if (positionals.length) throw new UsageError(usage);
  const memoryMiB = number(values.memory, '--memory') ?? 128;
  const cpu = number(values.cpu, '--cpu') ?? 1;
  const pids = number(values.pids, '--pids');
  const timeoutS = number(values.timeout, '--timeout');
  if (!Number.isInteger(memoryMiB) || memoryMiB < 16) throw new UsageError('--memory must be an integer of at least 16 (MiB)');
  if (cpu < 0.01 || cpu > availableParallelism()) throw new UsageError(`--cpu must be between 0.01 and ${availableParallelism()}`);
  if (pids !== undefined && (!Number.isInteger(pids) || pids < 1)) throw new UsageError('--pids must be a positive integer');
  if (timeoutS !== undefined && !(timeoutS > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  const mounts = (values.mount ?? []).map((m) => {
    const [source, target, mode, ...rest] = m.split(':');
    if (!source || !target || rest.length || (mode !== undefined && mode !== 'ro' && mode !== 'rw')
      || !isAbsolute(source) || !isAbsolute(target)) {
      throw new UsageError(`--mount must look like /host/path:/container/path[:ro|rw], got "${m}"`);
    }
    return { source, target, readOnly: mode === 'ro' };
  });
  if (process.getuid?.() !== 0) throw new CliError('Needs root', 'tsfn run creates namespaces, mounts and cgroups: run it as root');
  return runOneOff({
    dataDir: loadConfig().TSFN_DATA_DIR, memoryMiB, cpu, pids, timeoutS, mounts,
    env: pairs(values.env, '=', '--env'), argv: argv.slice(dash + 1),
  });
};
export default run;
