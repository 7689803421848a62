import { loadConfig } from '../../core/config.js';
import { parse } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';
import { hostChecks, type Check } from '../doctor/checks.js';

export const usage = 'usage: tsfn doctor';

/** `tsfn doctor`: checks the host and prints each failure with its fix; exit 1 if any failed. */
const doctor: Command = async (argv, ctx) => {
  const { values, positionals } = parse(argv, {});
  if (positionals.length) throw new UsageError(usage);
  const results: Check[] = [];
  for (const [name, probe] of hostChecks(loadConfig())) {
    let r;
    try {
      r = await probe();
    } catch (err) {
      r = { problem: (err as Error).message };
    }
    results.push({ name, ...(r?.problem ? r : {}) });
  }
  if (values.json) ctx.out(JSON.stringify(results));
  else {
    for (const c of results) {
      ctx.out(c.problem ? `FAIL ${c.name}\n     ${c.problem}${c.fix ? `\n     fix: ${c.fix}` : ''}` : `ok   ${c.name}`);
    }
  }
  return results.some((c) => c.problem) ? 1 : 0;
};
export default doctor;
