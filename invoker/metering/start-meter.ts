import type { Config } from '../../core/config.js';
import { redisKeys } from '../../core/redis-keys.js';
import { createDb } from '../../infra/db.js';
import { migrate } from '../../infra/migrate.js';
import { MeterWorker, type MeterObserver, type MeterWorkerOptions } from './meter-worker.js';
import { Retention } from './retention.js';

export interface MeterOptions {
  config: Config;
  redisUrl: string;
  databaseUrl: string;
  /** Tuning of the worker (batch size, claim timing...); the defaults suit production. */
  worker?: Partial<Omit<MeterWorkerOptions, 'redis' | 'db' | 'stream' | 'logsChannel' | 'observer'>>;
  /** How often retention runs (default hourly). */
  retentionEveryMs?: number;
  /** Where the meter reports trouble and recovery (default stderr). */
  log?: (line: string) => void;
}

export interface RunningMeter {
  worker: MeterWorker;
  retention: Retention;
  /** Finishes the batch in flight, stops retention, closes connections. */
  stop(): Promise<void>;
}

/**
 * The meter of one process: a MeterWorker draining the metering stream into
 * PostgreSQL, and hourly retention. `tsfn up` runs it beside the gateway and
 * invoker; `tsfn meter` runs it alone.
 */
export async function startMeter(opts: MeterOptions): Promise<RunningMeter> {
  const { config } = opts;
  const log = opts.log ?? toStderr;
  const db = createDb(opts.databaseUrl, config.TSFN_DB_SCHEMA, 4);
  try {
    await migrate(db, config.TSFN_DB_SCHEMA);
  } catch (err) {
    await db.end();
    throw err;
  }
  const keys = redisKeys(config.TSFN_PREFIX);
  const worker = new MeterWorker({
    ...opts.worker, redis: opts.redisUrl, db, stream: keys.meteringStream, logsChannel: keys.logs, observer: reporter(log),
  });
  try {
    await worker.start();
  } catch (err) {
    await worker.stop();
    await db.end();
    throw err;
  }
  const retention = new Retention(db, { recordDays: config.TSFN_RECORD_RETENTION_DAYS, logDays: config.TSFN_LOG_RETENTION_DAYS });
  retention.start(opts.retentionEveryMs, (err) => log(`meter: retention failed, retrying next round: ${(err as Error).message}`));
  return {
    worker, retention,
    async stop() {
      await retention.stop();
      await worker.stop();
      await db.end();
    },
  };
}

/** Runs the meter in the foreground until SIGTERM or SIGINT (`tsfn meter`). */
const toStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** One line when trouble starts, one when it ends: an outage must not flood the log. */
function reporter(log: (line: string) => void): MeterObserver {
  let failing = false;
  return {
    retry(err, delayMs) {
      if (failing) return;
      failing = true;
      log(`meter: ${(err as Error).message ?? err}; retrying every ${delayMs} ms or more, records wait in the stream`);
    },
    stored() {
      if (!failing) return;
      failing = false;
      log('meter: recovered, storing records again');
    },
    deadLetter(id, reason) {
      log(`meter: entry ${id} moved to the dead-letter stream: ${reason}`);
    },
  };
}
