import { describe, expect, it } from 'vitest';
import type { CliContext } from './context.js';
import { asksForHelp, COMMANDS, main } from './main.js';

/** A context that records what is printed and fails any call to the API. */
function recording() {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    client: () => { throw new Error('the command ran'); },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  return { ctx, out, err };
}

/** Verbs whose only effect is through the API client (the others start processes or touch the host). */
const API_VERBS = ['deploy', 'invoke', 'ls', 'info', 'rm', 'versions', 'rollback', 'logs', 'usage', 'accounts', 'keys'];

describe('tsfn <command>: --help and usage errors', () => {
  it('every command has a usage line of its own', async () => {
    for (const [verb, load] of Object.entries(COMMANDS)) {
      expect((await load()).usage, verb).toMatch(new RegExp(`^usage: tsfn ${verb}\\b`));
    }
  });

  it.each(API_VERBS)('%s --help prints the usage and runs nothing', async (verb) => {
    for (const args of [[verb, '--help'], [verb, 'hello', '-h'], [verb, 'hello', '2', '--json', '--help']]) {
      const r = recording();
      expect(await main(args, r.ctx), args.join(' ')).toBe(0);
      expect(r.err).toEqual([]);
      expect(r.out).toEqual([(await COMMANDS[verb]!()).usage]);
    }
  });

  it('a --help after `--` belongs to the command a container runs', () => {
    expect(asksForHelp(['--memory', '64', '--', 'node', '--help'])).toBe(false);
    expect(asksForHelp(['--memory', '64', '-h', '--', 'node'])).toBe(true);
    expect(asksForHelp(['hello', '--data', '{}'])).toBe(false);
  });

  it('an unknown option is still a usage error, with exit 2 and one line', async () => {
    const r = recording();
    expect(await main(['rm', 'hello', '--force'], r.ctx)).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^tsfn rm: .*--force/);
    expect(r.out).toEqual([]);
  });

  it.each([
    [['--port', 'abc'], '--port must be a number, got "abc"'],
    [['--port', ''], '--port must be a number, got ""'],
    [['--port', '70000'], '--port must be a TCP port (0-65535), got "70000"'],
    [['--port', '1.5'], '--port must be a TCP port (0-65535), got "1.5"'],
    [['--port=-1'], '--port must be a TCP port (0-65535), got "-1"'],
  ])('up %j is a usage error, before anything starts', async (args, message) => {
    const r = recording();
    expect(await main(['up', ...args], r.ctx)).toBe(2);
    expect(r.err).toEqual([`tsfn up: ${message}`]);
  });

  it.each(['up', 'gateway', 'invoker', 'meter'])('%s with a TSFN_* variable that is not valid is a usage error naming it, before anything starts', async (verb) => {
    for (const [name, value] of [['TSFN_PORT', 'abc'], ['TSFN_PREWARM', '-1'], ['TSFN_JOB_LOCK_MS', '10']] as const) {
      const saved = process.env[name];
      process.env[name] = value;
      try {
        const r = recording();
        expect(await main([verb], r.ctx), `${name}=${value}`).toBe(2);
        expect(r.err).toHaveLength(1);
        expect(r.err[0]).toMatch(new RegExp(`^tsfn ${verb}: invalid ${name}: `));
      } finally {
        if (saved === undefined) delete process.env[name];
        else process.env[name] = saved;
      }
    }
  });
});
