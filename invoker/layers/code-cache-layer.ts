import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, FrameDecoder } from '../../core/framing.js';
import { PREWARM_FLAG, SHIM_ENV } from '../runtime/shim-command.js';
import type { BaseLayer } from './base-layer.js';
import { BASE_PATHS } from './base-skeleton.js';
import { renderCommonJs } from './commonjs-entry.js';
import { plannedDigest, writeLayer } from './file-layer.js';
import type { LayerStore } from './layer-store.js';

export interface CodeCacheOptions {
  /** The node the base layer was built from (default: this process's). */
  nodePath?: string;
  /** Longest the sample run may take. */
  timeoutMs?: number;
}

/** Which code-cache layer was made for which base layer. */
interface CodeCacheRecord {
  base: string;
  digest: string;
}

const RECORD = 'code-cache.json';
const SAMPLE = 'export async function handler(event) { return { statusCode: 200, body: JSON.stringify(event.rawPath) }; }\n';

/**
 * A one-file layer to mount over the base layer: the V8 code cache of the
 * shim (/opt/tsfn/shim.cjs.cache), which shim-boot.ts compiles it with. It is
 * made on this host by running the base layer's own shim with this host's
 * node (the one the base layer copied) through a stem cell's warm-up, one
 * init and one invocation of a sample function, so that it holds everything
 * a cold start compiles. V8 writes a different cache each time (it depends on
 * what was compiled when), so it cannot be part of the deterministic base
 * layer; it is a layer of its own, content-addressed like every other, made
 * once per base layer and found again through a record.
 */
export async function buildCodeCacheLayer(store: LayerStore, base: BaseLayer, opts: CodeCacheOptions = {}): Promise<BaseLayer> {
  const recordFile = join(store.root, RECORD);
  const record = await readRecord(recordFile);
  if (record?.base === base.digest && (await store.has(record.digest))) {
    return { digest: record.digest as BaseLayer['digest'], path: store.path(record.digest) };
  }
  const files = [{ path: BASE_PATHS.shimCodeCache, content: await makeCodeCache(base, opts), mode: 0o644 }];
  const digest = await plannedDigest(files);
  const path = await store.ensure(digest, async (dir) => {
    const written = await writeLayer(dir, files);
    if (written !== digest) throw new Error(`code-cache layer: wrote ${written}, meant ${digest}`);
  });
  await store.writeRecord(RECORD, { base: base.digest, digest });
  return { digest, path };
}

/** Runs the base layer's shim (boot.cjs --make-code-cache) through a sample cold start; its cache. */
async function makeCodeCache(base: BaseLayer, opts: CodeCacheOptions): Promise<Buffer> {
  const scratch = await mkdtemp(join(tmpdir(), 'tsfn-code-cache-'));
  try {
    const fn = join(scratch, 'fn');
    await mkdir(fn);
    await writeFile(join(fn, 'index.mjs'), SAMPLE);
    await renderCommonJs(fn, 'index.mjs');
    const out = join(scratch, 'shim.cjs.cache');
    await sampleRun(opts.nodePath ?? process.execPath, join(base.path, BASE_PATHS.shimBoot), fn, out, opts.timeoutMs ?? 30_000);
    return await readFile(out);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function sampleRun(node: string, boot: string, codeDir: string, out: string, timeoutMs: number): Promise<void> {
  const child = spawn(node, [boot, PREWARM_FLAG, `--make-code-cache=${out}`], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...SHIM_ENV },
  });
  const channel = child.stdio[3] as Socket;
  const decoder = new FrameDecoder(1 << 20);
  let stderr = '';
  let problem: string | undefined;
  const fail = (why: string) => {
    problem ??= why;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
  child.stderr!.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-2000); });
  channel.on('error', () => {});
  channel.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      return fail(`bad frame: ${(err as Error).message}`);
    }
    for (const { meta } of frames) {
      const f = meta as { t: string };
      if (f.t === 'ready') {
        channel.write(encodeFrame({
          t: 'init', name: 'code-cache', version: 1, memoryMiB: 128, codeDir, entry: 'index.mjs', env: {}, maxResponseBytes: 1 << 20,
        }));
      } else if (f.t === 'init-ok') {
        channel.write(encodeFrame({
          t: 'invoke', id: 'code-cache', kind: 'http', start: 'cold', trigger: 'http', deadline: Date.now() + timeoutMs,
          account: 'code-cache', http: { method: 'GET', path: '/', query: 'a=1', headers: [['accept', '*/*']] },
        }));
      } else if (f.t === 'result') {
        channel.end();
      } else if (f.t !== 'log') {
        fail(`unexpected ${JSON.stringify(meta).slice(0, 500)}`);
      }
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', (err) => fail(err.message));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!problem && code === 0) return resolve();
      reject(new Error(`code cache: the sample run of the shim failed (${problem ?? `exit ${code ?? signal}`}): ${stderr.trim()}`));
    });
  });
}

async function readRecord(file: string): Promise<CodeCacheRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as CodeCacheRecord;
    return typeof r.base === 'string' && typeof r.digest === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}
