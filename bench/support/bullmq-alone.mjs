#!/usr/bin/env node
// BullMQ alone, as a ceiling for bench:http: one process adds jobs (64 in
// flight), a worker process (concurrency 16) completes them with no work, and
// completions come back through QueueEvents. No HTTP, no gateway, no
// containers. Prints jobs/s; removes its queue afterwards.
//   REDIS_URL=redis://127.0.0.1:6379 node bench/support/bullmq-alone.mjs [jobs]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents, Worker } from 'bullmq';

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const connection = { host: url.hostname, port: Number(url.port || 6379) };

if (process.argv[2] === 'worker') {
  const worker = new Worker(process.env.BULLMQ_ALONE_QUEUE, async () => 1, { connection, concurrency: 16 });
  process.on('SIGTERM', async () => {
    await worker.close();
    process.exit(0);
  });
} else {
  const N = Number(process.argv[2] ?? 20000);
  const name = `bullmq-alone-${process.pid}`;
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'worker'], {
    stdio: 'inherit', env: { ...process.env, BULLMQ_ALONE_QUEUE: name },
  });
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  await new Promise((r) => setTimeout(r, 500));
  let sent = 0;
  let done = 0;
  let inFlight = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const pump = () => {
      while (inFlight < 64 && sent < N) {
        inFlight++;
        sent++;
        void queue.add('job', { n: sent }, { removeOnComplete: true });
      }
      // QueueEvents reads a trimmed stream: a completion or two may be missed.
      if (done >= N - 10) resolve();
    };
    events.on('completed', () => {
      done++;
      inFlight--;
      pump();
    });
    pump();
  });
  console.log(`bullmq alone: ${Math.round(done / ((performance.now() - t0) / 1000))} jobs/s (${done} jobs)`);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  await queue.obliterate({ force: true });
  await Promise.all([queue.close(), events.close()]);
}
