import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newInvocationId } from '../core/ids.js';
import type { FunctionSpec } from '../core/schemas/invocation.js';
import { newOwnerId } from '../invoker/cgroups/cgroup.js';
import { poolOptions, prepareHost, type Host } from '../invoker/invoker.js';
import { PAYLOAD_UID_BASE, PAYLOAD_UID_COUNT, payloadUserName } from '../invoker/container/payload-ids.js';
import { UID_LEASE_DIR } from '../invoker/container/uid-leases.js';
import { ContainerPool, NoCapacity, WaitTimeout, type Acquired, type Lease, type PoolOptions } from '../invoker/pool/container-pool.js';
import { testContext, type TestContext } from './support/context.js';
import { InvokeClient } from './support/invoke-client.js';
import { testConfig } from './support/platform.js';
import { requireRoot } from './support/root.js';

/** The ContainerPool over real containers: stem cells, keep-alive, concurrency, budget, pausing, minWarm. */
let ctx: TestContext;
let host: Host;
let client: InvokeClient;
let hello: FunctionSpec;
let other: FunctionSpec;
let spinner: FunctionSpec;
let pool: ContainerPool | undefined;
let config: ReturnType<typeof testConfig>;
const owner = newOwnerId('test');

const HELLO = { 'index.ts': 'export default { fetch: () => new Response("hi") };' };

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  config = testConfig(ctx);
  host = await prepareHost(config, ctx.db, owner);
  client = await InvokeClient.open(ctx);
  hello = await client.deploy('hello', HELLO);
  other = await client.deploy('other', HELLO);
  spinner = await client.deploy('spinner', {
    'index.ts': `setInterval(() => { const end = Date.now() + 5; while (Date.now() < end) {} }, 10);
      export default { fetch: () => new Response("spinning") };`,
  }, { cpu: 1 });
});
afterEach(async () => {
  await pool?.shutdown();
  pool = undefined;
});
afterAll(async () => {
  await host?.factory.destroyAll();
  await client?.close();
  await ctx?.close();
});

const makePool = (o: Partial<PoolOptions> = {}) => {
  pool = new ContainerPool({ ...poolOptions(config, host), prewarm: 0, keepAliveMs: 60_000, ...o });
  pool.start();
  return pool;
};
const lease = (a: Acquired): Lease => {
  if (a.kind !== 'lease') throw new Error(`init failed: ${JSON.stringify(a.outcome)}`);
  return a.lease;
};
const run = async (l: Lease) => {
  const out = await l.container.run({
    t: 'invoke', id: newInvocationId(), kind: 'http', start: l.start, trigger: 'http', deadline: Date.now() + 5000,
    account: 'default', http: { method: 'GET', path: '/', query: '', headers: [] },
  }, Buffer.alloc(0), 5000);
  expect(out.kind).toBe('result');
  return out;
};
const soon = (ms = 10_000) => Date.now() + ms;
/** The host uid a container's shim (init's one child) runs as. */
const shimUid = (l: Lease) => {
  const init = (l.container as unknown as { initPid: number }).initPid;
  const shim = readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim();
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${shim}/status`, 'utf8'))![1]);
};
const eventually = async (check: () => boolean, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('ContainerPool', () => {
  it('starts containers over the code-cache layer, and loads a function through its CommonJS rendering', async () => {
    const probe = await client.deploy('startup-probe', {
      'index.ts': `import { existsSync } from 'node:fs';
        export default { fetch: () => Response.json({
          entry: process.argv[1],
          codeCache: existsSync('/opt/tsfn/shim.cjs.cache'),
          rendered: Object.keys(require.cache).some((m) => m.endsWith('/.tsfn.index.mjs.cjs')),
        }) };`,
    });
    expect(host.rootLayers).toHaveLength(2);
    const l = lease(await makePool().acquire(probe, soon()));
    const out = await run(l);
    l.release(true);
    if (out.kind !== 'result') throw new Error(out.kind);
    expect(JSON.parse(out.body.toString())).toEqual({ entry: '/opt/tsfn/boot.cjs', codeCache: true, rendered: true });
  });

  it('gives a cold start the cgroup made ahead after the last start, with the new container\'s limits', async () => {
    const p = makePool();
    const memory = `/sys/fs/cgroup/memory/tsfn/${owner}`;
    // Spares and the containers that took one (a cgroup keeps its name).
    const spares = () => readdirSync(memory).filter((n) => n.startsWith('spare-'));
    const limitOf = (name: string) => Number(readFileSync(`${memory}/${name}/memory.limit_in_bytes`, 'utf8'));
    const first = lease(await p.acquire(hello, soon()));
    await new Promise((r) => setTimeout(r, 300));
    const before = spares();
    const second = lease(await p.acquire({ ...other, memory: 256 }, soon()));
    expect(second.start).toBe('cold');
    await run(second);
    const taken = before.filter((n) => limitOf(n) === 256 * 1048576);
    expect(taken).toHaveLength(1);
    expect(readFileSync(`${memory}/${taken[0]}/cgroup.procs`, 'utf8').trim()).not.toBe('');
    // And a new spare follows, one at a time.
    await eventually(() => spares().length === before.length + 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(spares()).toHaveLength(before.length + 1);
    first.release(true);
    second.release(true);
  });

  it('runs each container, stem cells included, as a host uid of its own, named in the base layer\'s passwd', async () => {
    const whoami = await client.deploy('whoami', {
      'index.ts': `import { userInfo } from 'node:os';
        export default { fetch: () => Response.json({ uid: process.getuid!(), gid: process.getgid!(), user: userInfo() }) };`,
    });
    const p = makePool({ prewarm: 1 });
    await eventually(() => p.stats().prewarm === 1);
    // A stem cell specialised, then two cold starts beside it: three live containers.
    const leases = [lease(await p.acquire(whoami, soon()))];
    leases.push(lease(await p.acquire(whoami, soon())), lease(await p.acquire({ ...other }, soon())));
    expect(leases.map((l) => l.start)).toEqual(['prewarm', 'cold', 'cold']);
    const seen = [];
    for (const l of leases.slice(0, 2)) {
      const out = await run(l);
      if (out.kind !== 'result') throw new Error(out.kind);
      seen.push(JSON.parse(out.body.toString()) as { uid: number; gid: number; user: { username: string; homedir: string } });
    }
    const uids = new Set(seen.map((w) => w.uid));
    expect(uids.size).toBe(2);
    for (const w of seen) {
      expect(w.uid).toBeGreaterThanOrEqual(PAYLOAD_UID_BASE);
      expect(w.uid).toBeLessThan(PAYLOAD_UID_BASE + PAYLOAD_UID_COUNT);
      expect(w.gid).toBe(65534);
      expect(w.user).toMatchObject({ username: payloadUserName(w.uid), homedir: '/tmp' });
    }
    // The third container, seen from the host: its shim runs as yet another uid.
    expect(leases.map(shimUid)).toEqual([...seen.map((w) => w.uid), expect.any(Number)]);
    expect(new Set(leases.map(shimUid)).size).toBe(3);
    for (const l of leases) l.release(true);
  });

  it('leases each live container\'s uid host-wide, to this process, and gives the lease back when the container is gone', async () => {
    const p = makePool();
    const leases = [lease(await p.acquire(hello, soon())), lease(await p.acquire(hello, soon()))];
    const uids = leases.map(shimUid);
    for (const uid of uids) {
      expect(readFileSync(join(UID_LEASE_DIR, String(uid)), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+\n$`));
    }
    for (const l of leases) l.release(false);
    await eventually(() => uids.every((uid) => !existsSync(join(UID_LEASE_DIR, String(uid)))));
  });

  it('specialises a stem cell and starts a replacement', async () => {
    const p = makePool({ prewarm: 1 });
    await eventually(() => p.stats().prewarm === 1);
    const l = lease(await p.acquire(hello, soon()));
    expect(l.start).toBe('prewarm');
    await run(l);
    l.release(true);
    await eventually(() => p.stats().prewarm === 1 && p.stats().warm === 1);
    const again = lease(await p.acquire(hello, soon()));
    expect(again.start).toBe('warm');
    expect(again.container).toBe(l.container);
    again.release(true);
  });

  it('tears idle containers down after the keep-alive', async () => {
    const p = makePool({ keepAliveMs: 1000 });
    const l = lease(await p.acquire(hello, soon()));
    expect(l.start).toBe('cold');
    l.release(true);
    expect(p.stats().warm).toBe(1);
    await eventually(() => p.stats().warm === 0, 5000);
    await l.container.exited;
    expect(l.container.state).toBe('dead');
  });

  it('keeps a function within its concurrency: the next job waits, then reuses', async () => {
    const p = makePool();
    const one = { ...hello, concurrency: 1 };
    const first = lease(await p.acquire(one, soon()));
    await expect(p.acquire(one, Date.now() + 500)).rejects.toBeInstanceOf(WaitTimeout);
    const waiting = p.acquire(one, soon());
    setTimeout(() => first.release(true), 200);
    const second = lease(await waiting);
    expect(second.start).toBe('warm');
    expect(second.container).toBe(first.container);
    second.release(true);
  });

  it('evicts the least recently used idle container when the budget is full, and refuses when all are busy', async () => {
    const p = makePool({ budgetMiB: 256, fullWaitMs: 300 });
    const a1 = lease(await p.acquire(hello, soon()));
    const a2 = lease(await p.acquire(hello, soon()));
    a1.release(true);
    await new Promise((r) => setTimeout(r, 20));
    a2.release(true);
    const b = lease(await p.acquire(other, soon()));
    expect(b.start).toBe('cold');
    await a1.container.exited;
    expect(a2.container.state).not.toBe('dead');
    const c = lease(await p.acquire(hello, soon()));
    expect(c.container).toBe(a2.container);
    await expect(p.acquire({ ...other, concurrency: 5 }, soon())).rejects.toBeInstanceOf(NoCapacity);
    b.release(true);
    c.release(true);
  });

  it('freezes idle containers so they use no CPU, and thaws them for the next invocation', async () => {
    const p = makePool({ pauseGraceMs: 50 });
    const l = lease(await p.acquire(spinner, soon()));
    await run(l);
    l.release(true);
    await eventually(() => l.container.state === 'paused');
    const frozenAt = l.container.usage().cpuUs;
    await new Promise((r) => setTimeout(r, 500));
    expect(l.container.usage().cpuUs - frozenAt).toBeLessThan(5_000);
    const again = lease(await p.acquire(spinner, soon()));
    expect(again.container).toBe(l.container);
    expect(again.container.state).toBe('ready');
    const thawedAt = again.container.usage().cpuUs;
    await new Promise((r) => setTimeout(r, 300));
    expect(again.container.usage().cpuUs - thawedAt).toBeGreaterThan(50_000);
    again.release(true);
  });

  it('gives up on a module that never finishes initialising, at the init limit, and destroys its container', async () => {
    const hang = await client.deploy('hang-init', { 'index.ts': 'await new Promise(() => {}); export default { fetch: () => new Response("never") };' });
    const p = makePool({ initTimeoutMs: 500 });
    const t0 = Date.now();
    const a = await p.acquire(hang, soon());
    expect(a).toMatchObject({ kind: 'init-failed', start: 'cold', outcome: { kind: 'timeout' } });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(p.stats()).toMatchObject({ warm: 0, busy: 0, starting: 0 });
  });

  it('keeps minWarm containers initialised without any invocation', async () => {
    const p = makePool({ keepAliveMs: 500 });
    p.keepWarm([{ ...hello, minWarm: 2 }, { ...other, minWarm: 0 }]);
    await eventually(() => p.stats().warm === 2, 15_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(p.stats().warm).toBe(2);
    expect(p.codeInUse()).toEqual(new Set([hello.digest]));
    p.keepWarm([]);
    await eventually(() => p.stats().warm === 0, 5000);
  });
});
