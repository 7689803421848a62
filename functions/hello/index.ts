// A fetch handler: the Web-standard style (Cloudflare Workers, Deno, Bun).
interface Context {
  invocationId: string;
  coldStart: boolean;
}

export default {
  async fetch(request: Request, ctx: Context): Promise<Response> {
    const name = new URL(request.url).searchParams.get('name') ?? 'world';
    console.log(`greeting ${name}`);
    return new Response(`Hello, ${name}!\n`, {
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-cold-start': String(ctx.coldStart) },
    });
  },
};
