// The hello example's handler served directly by Hono in one process: the baseline of bench:http.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.all('/fn/hello/*', (c) => {
  const name = new URL(c.req.url).searchParams.get('name') ?? 'world';
  return new Response(`Hello, ${name}!\n`, { headers: { 'content-type': 'text/plain; charset=utf-8', 'x-cold-start': 'false' } });
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
