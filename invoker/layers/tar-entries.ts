import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { UnsafeArtifactError } from './unsafe-artifact-error.js';

/**
 * Streams a tar.gz through gunzip and tar's parser, handing each entry to
 * `onEntry` one at a time, in archive order: entry n+1 is not handled before
 * entry n's promise settles. `signal` aborts when the archive fails, so a
 * handler waiting for body data that will never come can stop. Backpressure
 * runs all the way back to the input, so a gzip bomb is never inflated
 * further than the point where `onEntry` or the `maxTarBytes` cap on the
 * inflated stream refuses it.
 */
export async function readTarGz(
  input: Buffer | Readable,
  onEntry: (entry: ReadEntry, signal: AbortSignal) => Promise<void>,
  maxTarBytes: number,
): Promise<void> {
  // strict turns tar's warnings (bad checksum, truncation, not a tar) into errors;
  // no brotli/zstd sniffing: the input is gzip and nothing else.
  const parser = new Parser({ strict: true, brotli: false, zstd: false });
  let failure: unknown;
  const aborter = new AbortController();
  let rejectFailed!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  failed.catch(() => {});
  const fail = (err: unknown) => {
    if (failure !== undefined) return;
    failure = err;
    rejectFailed(err);
    aborter.abort(err);
  };

  let chain: Promise<void> = Promise.resolve();
  parser.on('entry', (entry: ReadEntry) => {
    chain = chain.then(async () => {
      if (failure === undefined) await onEntry(entry, aborter.signal);
    }).catch(fail);
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    fail(new UnsafeArtifactError(`entry ${JSON.stringify(entry.path)}: unsupported entry type ${entry.type}`));
  });
  parser.on('error', (err: Error) => fail(new UnsafeArtifactError(`not a valid tar archive: ${err.message}`)));
  // After the end-of-archive blocks the parser would buffer whatever follows, without bound.
  let ended = false;
  parser.on('eof', () => (ended = true));

  const feed = async (tar: AsyncIterable<Buffer>) => {
    let inflated = 0;
    for await (const chunk of tar) {
      inflated += chunk.length;
      if (inflated > maxTarBytes) fail(new UnsafeArtifactError(`archive inflates past ${maxTarBytes} bytes`));
      if (failure !== undefined) throw failure;
      if (!ended && !parser.write(chunk)) await Promise.race([once(parser, 'drain'), failed]);
    }
    const done = once(parser, 'end');
    parser.end();
    await Promise.race([done, failed]);
    await chain;
  };

  const gunzip = createGunzip();
  const gunzipFailed = (err: unknown) => new UnsafeArtifactError(`not a valid gzip stream: ${(err as Error).message}`);
  // Directly, not only through pipeline: feed may be parked on the parser's drain.
  gunzip.on('error', (err) => fail(gunzipFailed(err)));
  try {
    const source = Buffer.isBuffer(input) ? Readable.from([input]) : input;
    await pipeline(source, gunzip, feed);
  } catch (err) {
    fail(isZlibError(err) ? gunzipFailed(err) : err);
  }
  await chain;
  if (failure !== undefined) throw failure;
}

function isZlibError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string'
    && (err as NodeJS.ErrnoException).code!.startsWith('Z_');
}
