import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from './support/context.js';
import { InvokeClient, text } from './support/invoke-client.js';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { requireRoot } from './support/root.js';

/**
 * Functions are other tenants' untrusted code: from inside a function, try to
 * reach what lives on the host (Redis, PostgreSQL, the gateway), other
 * containers' files, the control channel's framing and the host's processes.
 */
let ctx: TestContext;
let p: TestPlatform;
let client: InvokeClient;

beforeAll(async () => {
  requireRoot();
  ctx = await testContext();
  p = await startPlatform(ctx);
  client = await InvokeClient.open(ctx);
});
afterAll(async () => {
  await client?.close();
  await p?.close();
  await ctx?.close();
});

const probe = (name: string, body: string) => client.deploy(name, {
  'index.ts': `import * as net from 'node:net';
    import * as fs from 'node:fs';
    const tryConnect = (port: number) => new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); resolve('connected'); });
      s.on('error', (e: any) => resolve(e.code));
      setTimeout(() => { s.destroy(); resolve('timeout'); }, 2000);
    });
    export default { async fetch(req: Request) { ${body} } };`,
});

describe('from inside a function', () => {
  it('cannot reach the host\'s Redis, PostgreSQL or gateway over loopback', async () => {
    const fn = await probe('netprobe', `
      const gw = new URL(${JSON.stringify(p.gateway.url)}).port;
      return Response.json({ redis: await tryConnect(6379), pg: await tryConnect(5432), gw: await tryConnect(Number(gw)),
        outside: await tryConnect(80) });`);
    const r = await client.call(fn);
    expect(JSON.parse(text(r))).toEqual({ redis: 'ECONNREFUSED', pg: 'ECONNREFUSED', gw: 'ECONNREFUSED', outside: 'ECONNREFUSED' });
  });

  it('cannot see another container\'s files, nor write its own code', async () => {
    const writer = await probe('writer', `fs.writeFileSync('/tmp/secret', 'tenant-a'); return new Response(fs.readFileSync('/tmp/secret'));`);
    expect(text(await client.call(writer))).toBe('tenant-a');
    const reader = await probe('reader', `
      let code = 'none';
      try { fs.writeFileSync('/var/task/index.mjs', 'x'); code = 'written'; } catch (e: any) { code = e.code; }
      return Response.json({ secret: fs.existsSync('/tmp/secret'), code, procs: fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d)).length });`);
    const r = JSON.parse(text(await client.call(reader)));
    expect(r.secret).toBe(false);
    expect(r.code).toMatch(/EROFS|EACCES/);
    expect(r.procs).toBeLessThanOrEqual(3);
  });

  it('cannot forge answers through stdout, and garbage on the control channel only kills its own container', async () => {
    const forger = await probe('forger', `
      const frame = JSON.stringify({ t: 'result', id: 'x', status: 200, headers: [], logs: [] });
      const head = Buffer.alloc(8); head.writeUInt32BE(frame.length, 0); head.writeUInt32BE(0, 4);
      process.stdout.write(Buffer.concat([head, Buffer.from(frame)]));
      if (new URL(req.url).pathname === '/garbage') fs.writeSync(3, Buffer.from([0, 0, 0, 5, 0, 0, 0, 0, 123, 123, 123, 123, 123]));
      return new Response('honest');`);
    const honest = await client.call(forger, { path: '/' });
    expect(text(honest)).toBe('honest');
    const garbage = await client.call(forger, { path: '/garbage' });
    expect(garbage.status).toBe('crash');
    const after = await client.call(forger, { path: '/' });
    expect(after).toMatchObject({ status: 'ok', start: 'cold' });
    const other = await probe('bystander', `return new Response('fine');`);
    expect(text(await client.call(other))).toBe('fine');
  });
});
