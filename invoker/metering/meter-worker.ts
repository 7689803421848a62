import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { shortId } from '../../core/ids.js';
import { LOG_CAP_BYTES } from '../../core/metering.js';
import type { Db } from '../../infra/db.js';
import type { LiveLogs } from './live-logs.js';
import { isBad, parseEntry, type BadEntry, type MeterEntry } from './meter-entry.js';
import { recordKey, RecordWriter, UnpricedRecord } from './record-writer.js';

export interface MeterWorkerOptions {
  /** A connection (the worker duplicates it for its blocking reads) or a Redis URL. */
  redis: Redis | string;
  db: Db;
  /** The metering stream: `redisKeys(prefix).meteringStream`. */
  stream: string;
  /** Live-logs channel of a function: `redisKeys(prefix).logs`. */
  logsChannel: (fn: string) => string;
  /** Consumer group shared by every meter worker. */
  group?: string;
  /** Unique per process; the default is `<host>-<pid>-<random>`. Lane i reads as `<consumer>/<i>`. */
  consumer?: string;
  batchSize?: number;
  /** Batches in flight at once (each reads, then writes, on its own). */
  lanes?: number;
  /** How long one XREADGROUP waits for new entries; also bounds how long stop() waits. */
  blockMs?: number;
  /**
   * After a small read, how long to wait for more entries before writing the
   * batch (default 100 ms: records reach PostgreSQL that much later, in a
   * quarter of the transactions 25 ms made; bench:http A/B, 4 rounds each,
   * gave 1.05x the platform's throughput against an A/A run's 0.99x).
   */
  lingerMs?: number;
  /** Entries pending this long with another consumer are presumed abandoned and claimed. */
  claimIdleMs?: number;
  /** How often to look for abandoned entries (and at start). */
  claimEveryMs?: number;
  /** Where unreadable entries go; default `<stream>:bad`. */
  deadLetterStream?: string;
  /** Most log bytes stored per invocation. */
  maxLogBytes?: number;
  /** Longest wait between retries of a failed batch. */
  maxBackoffMs?: number;
  observer?: MeterObserver;
}

/** Hooks for logs and metrics; all optional. */
export interface MeterObserver {
  /** A batch is about to be written. */
  batch?(size: number): void;
  /** A batch was committed: `inserted` new records, `duplicates` already stored. */
  stored?(inserted: number, duplicates: number): void;
  /** Writing or reading failed; the worker retries after `delayMs`. */
  retry?(err: unknown, delayMs: number): void;
  /** An entry was moved to the dead-letter stream. */
  deadLetter?(id: string, reason: string): void;
}

export interface MeterLag {
  /** Entries in the stream: not yet read, or read and not yet stored. */
  length: number;
  /** Entries read by some meter and not yet acknowledged. */
  pending: number;
}

/** A consumer silent this long, with nothing pending, belonged to a process that is gone. */
const FORGET_CONSUMER_MS = 3_600_000;

type State = 'idle' | 'running' | 'stopping' | 'stopped';
type RawEntry = [id: string, fields: string[] | null];

/**
 * Drains the metering stream into PostgreSQL (ARCHITECTURE step 4): reads with
 * a consumer group, writes each batch in one transaction (RecordWriter),
 * acknowledges and deletes the entries only after the commit. Delivery is at
 * least once and the insert idempotent, so each record is stored exactly once.
 * A failed write is retried with backoff while its entries stay pending; the
 * entries of a meter that died are claimed by the living after `claimIdleMs`.
 */
export class MeterWorker {
  readonly consumer: string;
  readonly group: string;
  private readonly cmd: Redis;
  private readonly ownsCmd: boolean;
  private readonly readers: Redis[];
  private readonly writer: RecordWriter;
  private readonly o: Required<Omit<MeterWorkerOptions, 'redis' | 'db' | 'consumer' | 'group' | 'observer'>>;
  private readonly observer: MeterObserver;
  private state: State = 'idle';
  private lanes: Promise<void>[] = [];
  private stopped: Promise<void> | undefined;
  private wakers = new Set<() => void>();

  constructor(opts: MeterWorkerOptions) {
    this.ownsCmd = typeof opts.redis === 'string';
    this.cmd = typeof opts.redis === 'string' ? new Redis(opts.redis, { maxRetriesPerRequest: null }) : opts.redis;
    // Failures surface as rejected commands, retried with backoff; the events add nothing.
    if (this.ownsCmd) this.cmd.on('error', () => {});
    this.group = opts.group ?? 'meter';
    this.consumer = opts.consumer ?? `${hostname()}-${process.pid}-${shortId(3)}`;
    this.writer = new RecordWriter(opts.db);
    this.observer = opts.observer ?? {};
    this.o = {
      stream: opts.stream,
      logsChannel: opts.logsChannel,
      batchSize: opts.batchSize ?? 1000,
      lanes: opts.lanes ?? 2,
      blockMs: opts.blockMs ?? 1000,
      lingerMs: opts.lingerMs ?? 100,
      claimIdleMs: opts.claimIdleMs ?? 30_000,
      claimEveryMs: opts.claimEveryMs ?? 10_000,
      deadLetterStream: opts.deadLetterStream ?? `${opts.stream}:bad`,
      maxLogBytes: opts.maxLogBytes ?? LOG_CAP_BYTES,
      maxBackoffMs: opts.maxBackoffMs ?? 5_000,
    };
    // Blocking reads hold their connection: one per lane.
    this.readers = Array.from({ length: this.o.lanes }, () => this.cmd.duplicate().on('error', () => {}));
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`the meter worker is ${this.state}`);
    await this.ensureGroup();
    if (this.stopped) return;
    this.state = 'running';
    this.lanes = this.readers.map((reader, i) => this.lane(reader, `${this.consumer}/${i}`, i === 0));
  }

  /**
   * Finishes the batches in flight (unless PostgreSQL is down: then they stay
   * pending), then closes the connections; also after a failed or no start.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.state = 'stopping';
      for (const wake of this.wakers) wake();
      await Promise.all(this.lanes);
      this.state = 'stopped';
      for (const r of this.readers) r.disconnect();
      if (this.ownsCmd) this.cmd.disconnect();
    })();
    return this.stopped;
  }

  async lag(): Promise<MeterLag> {
    const [len, pending] = await Promise.all([
      this.cmd.xlen(this.o.stream),
      this.cmd.xpending(this.o.stream, this.group).catch(() => [0]) as Promise<unknown[]>,
    ]);
    return { length: len, pending: Number(pending[0] ?? 0) };
  }

  /**
   * One read-write loop. Lanes run side by side so that one parses the next
   * batch while another waits for PostgreSQL. Each lane is a consumer of its
   * own (`<consumer>/<lane>`) and first finishes its pending entries (after a
   * restart under the same name); the lead lane also claims abandoned ones.
   */
  private async lane(reader: Redis, consumer: string, lead: boolean): Promise<void> {
    let failures = 0;
    let nextClaim = 0;
    let ownPendingDone = false;
    while (this.state === 'running') {
      try {
        if (!ownPendingDone) {
          // A restart under the same consumer name first finishes what it had read.
          ownPendingDone = !(await this.handle(await this.read(reader, consumer, '0')));
        } else if (lead && Date.now() >= nextClaim) {
          await this.claimAbandoned(consumer);
          await this.forgetIdleConsumers();
          nextClaim = Date.now() + this.o.claimEveryMs;
        } else {
          await this.handle(await this.readBatch(reader, consumer));
        }
        failures = 0;
      } catch (err) {
        if ((err as Error).message?.startsWith('NOGROUP')) await this.ensureGroup().catch(() => {});
        await this.backoff(err, failures++);
      }
    }
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.cmd.xgroup('CREATE', this.o.stream, this.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message.startsWith('BUSYGROUP')) throw err;
    }
  }

  /**
   * New entries: waits for the first, then, when the batch is far from full,
   * lingers a moment for more, so that a trickle of invocations is written in
   * a few transactions rather than one per record (a meter sharing a small
   * host with the invoker must not cost a millisecond of CPU per record).
   */
  private async readBatch(reader: Redis, consumer: string): Promise<RawEntry[]> {
    const first = await this.read(reader, consumer, '>', this.o.blockMs);
    if (!first.length || first.length >= this.o.batchSize / 2 || !this.o.lingerMs) return first;
    await new Promise((r) => setTimeout(r, this.o.lingerMs));
    if (this.state !== 'running') return first;
    return [...first, ...(await this.read(reader, consumer, '>', undefined, this.o.batchSize - first.length))];
  }

  private async read(reader: Redis, consumer: string, from: '0' | '>', blockMs?: number, count = this.o.batchSize): Promise<RawEntry[]> {
    const args: (string | number)[] = ['GROUP', this.group, consumer, 'COUNT', count];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    const res = await reader.call('XREADGROUP', ...args, 'STREAMS', this.o.stream, from) as [string, RawEntry[]][] | null;
    return res?.[0]?.[1] ?? [];
  }

  /** Takes over entries another (presumably dead) consumer read long ago and never acknowledged. */
  private async claimAbandoned(consumer: string): Promise<void> {
    let cursor = '0-0';
    do {
      const [next, entries] = await this.cmd.xautoclaim(this.o.stream, this.group, consumer,
        this.o.claimIdleMs, cursor, 'COUNT', this.o.batchSize) as [string, RawEntry[]];
      await this.handle(entries);
      cursor = next;
    } while (cursor !== '0-0' && this.state === 'running');
  }

  /** Every process start adds consumers to the group; those long gone with nothing pending are removed. */
  private async forgetIdleConsumers(): Promise<void> {
    const consumers = await this.cmd.xinfo('CONSUMERS', this.o.stream, this.group) as (string | number)[][];
    for (const c of consumers) {
      const info = new Map<string, string | number>();
      for (let i = 0; i + 1 < c.length; i += 2) info.set(String(c[i]), c[i + 1]!);
      if (Number(info.get('pending')) === 0 && Number(info.get('idle')) > FORGET_CONSUMER_MS) {
        await this.cmd.xgroup('DELCONSUMER', this.o.stream, this.group, String(info.get('name')));
      }
    }
  }

  /** Stores a batch and acknowledges it; returns whether there was anything. */
  private async handle(raw: RawEntry[]): Promise<boolean> {
    if (!raw.length) return false;
    const good: MeterEntry[] = [];
    const bad: BadEntry[] = [];
    const ack: string[] = [];
    for (const [id, fields] of raw) {
      // An entry deleted while pending comes back without fields: nothing to store.
      if (!fields) {
        ack.push(id);
        continue;
      }
      const e = parseEntry(id, fields, this.o.maxLogBytes);
      if (isBad(e)) bad.push(e);
      else good.push(e);
    }
    const stored = await this.store(good, bad);
    if (stored === undefined) return true;
    await this.deadLetter(bad);
    ack.push(...good.map((e) => e.id), ...bad.map((e) => e.id));
    if (ack.length) {
      await this.cmd.multi().xack(this.o.stream, this.group, ...ack).xdel(this.o.stream, ...ack).exec();
    }
    await this.publish(good, stored);
    return true;
  }

  /**
   * Writes the batch, retrying until it commits. Returns the keys inserted, or
   * undefined when stopping before it could (the entries stay pending). An entry
   * the database refuses on its own merits joins `bad`, found by halving.
   */
  private async store(good: MeterEntry[], bad: BadEntry[]): Promise<Set<string> | undefined> {
    const unique = [...new Map(good.map((e) => [recordKey(e.record), e])).values()];
    this.observer.batch?.(unique.length);
    const badBefore = bad.length;
    for (let failures = 0; ; failures++) {
      try {
        const inserted = await this.writeSplitting(unique, bad);
        this.observer.stored?.(inserted.size, good.length - inserted.size - (bad.length - badBefore));
        return inserted;
      } catch (err) {
        if (this.state !== 'running') return undefined;
        await this.backoff(err, failures);
        if (this.state !== 'running') return undefined;
      }
    }
  }

  private async writeSplitting(entries: MeterEntry[], bad: BadEntry[]): Promise<Set<string>> {
    if (!entries.length) return new Set();
    try {
      return await this.writer.write(entries, await this.writer.prices());
    } catch (err) {
      if (err instanceof UnpricedRecord && entries.length === 1) {
        bad.push({ id: err.entry.id, fields: err.entry.fields, reason: err.message });
        return new Set();
      }
      if (!(err instanceof UnpricedRecord) && !isDataError(err)) throw err;
      if (entries.length === 1) {
        bad.push({ id: entries[0]!.id, fields: entries[0]!.fields, reason: `refused by PostgreSQL: ${(err as Error).message}` });
        return new Set();
      }
      const half = entries.length >> 1;
      const a = await this.writeSplitting(entries.slice(0, half), bad);
      const b = await this.writeSplitting(entries.slice(half), bad);
      return new Set([...a, ...b]);
    }
  }

  private async deadLetter(bad: BadEntry[]): Promise<void> {
    if (!bad.length) return;
    const m = this.cmd.multi();
    for (const b of bad) {
      m.xadd(this.o.deadLetterStream, '*', 'id', b.id, 'reason', b.reason, ...b.fields);
      this.observer.deadLetter?.(b.id, b.reason);
    }
    await m.exec();
  }

  /** Live logs (`tsfn logs -f`) of the records this batch stored; best effort. */
  private async publish(entries: MeterEntry[], inserted: Set<string>): Promise<void> {
    const p = this.cmd.pipeline();
    let n = 0;
    for (const e of entries) {
      // Deleting the key also skips a second copy of the same record in this batch.
      if (!e.logs || !inserted.delete(recordKey(e.record))) continue;
      const msg: LiveLogs = {
        invocationId: e.record.invocationId, attempt: e.record.attempt, account: e.record.account,
        function: e.record.function, lines: e.logs.lines,
      };
      p.publish(this.o.logsChannel(e.record.function), JSON.stringify(msg));
      n++;
    }
    if (n) await p.exec();
  }

  private async backoff(err: unknown, failures: number): Promise<void> {
    const delay = Math.min(this.o.maxBackoffMs, 100 * 2 ** Math.min(failures, 10));
    this.observer.retry?.(err, delay);
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, delay);
      this.wakers.add(wake);
    });
  }
}

/** PostgreSQL refused the data itself (classes 22 and 23), as opposed to being unreachable. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
