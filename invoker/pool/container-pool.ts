import { shortId } from '../../core/ids.js';
import type { FunctionSpec } from '../../core/schemas/invocation.js';
import type { StartKind } from '../../core/states.js';
import type { Within } from '../../core/telemetry/trace-context.js';
import { DEFAULT_PIDS, tmpBytes, type Container, type ContainerFactory, type ContainerLimits, type InitOutcome } from '../container/container.js';
import { expired, schedule, stemsToStart, victims, warmToStart, type Slot } from './decisions.js';

export interface PoolOptions {
  factory: ContainerFactory;
  /**
   * Host directory holding a function version's code (its extracted layer);
   * `within` runs the query that fetches an artifact not yet on this host.
   */
  codeDir(spec: FunctionSpec, within?: Within): Promise<string>;
  budgetMiB: number;
  /** Stem cells (booted shim, no code) kept ready. */
  prewarm: number;
  stemMiB: number;
  keepAliveMs: number;
  /** Idle time after which a container is frozen (OpenWhisk's pause grace). */
  pauseGraceMs: number;
  initTimeoutMs: number;
  /** How long a job waits for memory before it is left for another invoker. */
  fullWaitMs: number;
  maxResponseBytes: number;
  /**
   * CPU a container gets while it starts, initialises and serves its first
   * invocation (Lambda boosts init too); then the function's own cpu applies.
   */
  startCpu: number;
  /** Told of each step of getting a container ready, and of container starts and failures (traces, metrics). */
  observer?: PoolObserver;
}

/** Steps of getting a container ready for an invocation: code layer, launch, stem cell attach, function init, thaw. */
export type AcquireStep = 'layer' | 'launch' | 'attach' | 'init' | 'resume';
/** A container with a function's code, or a prewarmed stem cell. */
export type ContainerRole = 'function' | 'stem';

/**
 * What the pool reports as it works. Steps are timed with performance.now()
 * and reported as they end, in the caller's async context.
 */
export interface PoolObserver {
  started(role: ContainerRole): void;
  failed(role: ContainerRole, phase: 'launch' | 'attach' | 'init'): void;
}

const QUIET: PoolObserver = { started() {}, failed() {} };

/** What one acquire reports to its invocation's trace. */
export interface AcquireTrace {
  /** A step of getting the container ready, timed with performance.now(). */
  step(step: AcquireStep, startMs: number, endMs: number): void;
  /** Runs `fn` (which sends a database query) inside the invocation's trace. */
  within: Within;
}

const UNTRACED: AcquireTrace = { step() {}, within: (fn) => fn() };

export interface Lease {
  container: Container;
  start: StartKind;
  initMs: number;
  /** Gives the container back; an unhealthy one is destroyed. */
  release(healthy: boolean): void;
}

export type Acquired =
  | { kind: 'lease'; lease: Lease }
  | { kind: 'init-failed'; start: StartKind; initMs: number; outcome: Exclude<InitOutcome, { kind: 'ok' }>; usage: { cpuUs: number; memoryPeakBytes: number } };

export class NoCapacity extends Error {}
export class WaitTimeout extends Error {}

interface Entry {
  slot: Slot;
  container?: Container;
  pauseTimer?: NodeJS.Timeout;
  paused: boolean;
  /** The function's own limits, applied once its first invocation is over (until then it runs at startCpu). */
  pending?: ContainerLimits;
}

export const versionKey = (s: FunctionSpec): string => `${s.name}@${s.version}:${s.digest}`;

/**
 * Keeps this host's containers: warm ones per function version, stem cells,
 * minWarm, per-function concurrency, the memory budget, keep-alive and
 * pausing. Decisions come from ./decisions.ts; this class carries them out.
 */
export class ContainerPool {
  private entries = new Map<string, Entry>();
  private waiters: (() => void)[] = [];
  private minWarm = new Map<string, FunctionSpec>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly observer: PoolObserver;

  constructor(private readonly opts: PoolOptions) {
    this.observer = opts.observer ?? QUIET;
  }

  /** How long a function's module may take to initialise. */
  get initTimeoutMs(): number {
    return this.opts.initTimeoutMs;
  }

  start(): void {
    this.timer = setInterval(() => this.maintain(), Math.min(1000, this.opts.keepAliveMs / 2));
    this.timer.unref();
    this.maintain();
  }

  async acquire(spec: FunctionSpec, deadline: number, trace: AcquireTrace = UNTRACED): Promise<Acquired> {
    const key = versionKey(spec);
    const l0 = performance.now();
    const codeDir = await this.opts.codeDir(spec, trace.within);
    const l1 = performance.now();
    const firstFull = Date.now();
    for (;;) {
      if (this.closed) throw new NoCapacity('the invoker is shutting down');
      const d = schedule(this.slots(), { key, memoryMiB: spec.memory, concurrency: spec.concurrency }, this.opts.budgetMiB);
      if (d.kind === 'warm') return { kind: 'lease', lease: await this.takeWarm(d.id, trace) };
      if (d.kind === 'prewarm' || d.kind === 'cold') trace.step('layer', l0, l1);
      if (d.kind === 'prewarm') return this.specialise(d.id, d.evict, spec, key, codeDir, trace);
      if (d.kind === 'cold') return this.coldStart(d.evict, spec, key, codeDir, trace);
      if (d.kind === 'full' && Date.now() - firstFull >= this.opts.fullWaitMs) {
        throw new NoCapacity(`the memory budget of ${this.opts.budgetMiB} MiB is in use by busy containers`);
      }
      const waitUntil = d.kind === 'full' ? Math.min(deadline, firstFull + this.opts.fullWaitMs) : deadline;
      if (!(await this.changed(waitUntil)) && d.kind === 'wait') {
        throw new WaitTimeout(`function ${spec.name} stayed at its concurrency limit of ${spec.concurrency}`);
      }
    }
  }

  /**
   * The function versions to keep `minWarm` containers of, all of them: a
   * version left out (redeployed, minWarm back to 0, deleted) is no longer
   * kept, and its idle containers expire with the keep-alive.
   */
  keepWarm(specs: FunctionSpec[]): void {
    this.minWarm = new Map(specs.filter((s) => s.minWarm > 0).map((s) => [versionKey(s), s]));
  }

  /** Digests of the function code some container here holds (the layer store must not evict them). */
  codeInUse(): Set<string> {
    const digests = new Set<string>();
    for (const e of this.entries.values()) {
      if (e.slot.key !== undefined) digests.add(e.slot.key.slice(e.slot.key.indexOf(':') + 1));
    }
    return digests;
  }

  stats() {
    const count = (f: (e: Entry) => boolean) => [...this.entries.values()].filter(f).length;
    return {
      warm: count((e) => e.slot.key !== undefined && e.slot.state === 'idle'),
      prewarm: count((e) => e.slot.key === undefined && e.slot.state === 'idle'),
      busy: count((e) => e.slot.state === 'busy'),
      starting: count((e) => e.slot.state === 'starting'),
      paused: count((e) => e.paused),
      memoryMiB: this.slots().reduce((n, s) => n + s.memoryMiB, 0),
      budgetMiB: this.opts.budgetMiB,
    };
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.wake();
    await Promise.all([...this.entries.keys()].map((id) => this.destroy(id)));
  }

  private slots(): Slot[] {
    return [...this.entries.values()].map((e) => e.slot);
  }

  private async takeWarm(id: string, trace: AcquireTrace): Promise<Lease> {
    const e = this.entries.get(id)!;
    e.slot.state = 'busy';
    clearTimeout(e.pauseTimer);
    if (e.paused) {
      const t0 = performance.now();
      await e.container!.resume();
      e.paused = false;
      trace.step('resume', t0, performance.now());
    }
    return this.lease(e, 'warm', 0);
  }

  private async specialise(id: string, evict: string[], spec: FunctionSpec, key: string, codeDir: string, trace: AcquireTrace): Promise<Acquired> {
    const e = this.entries.get(id)!;
    this.evict(evict);
    e.slot.state = 'busy';
    e.slot.key = key;
    e.slot.memoryMiB = spec.memory;
    clearTimeout(e.pauseTimer);
    const t0 = performance.now();
    const c = e.container!;
    try {
      if (e.paused) {
        await c.resume();
        e.paused = false;
      }
      c.resize({ memoryMiB: spec.memory, cpu: Math.max(spec.cpu, this.opts.startCpu), pids: DEFAULT_PIDS });
      await c.attachCode(codeDir);
    } catch (err) {
      this.observer.failed('stem', 'attach');
      await this.destroy(id);
      return { kind: 'init-failed', start: 'prewarm', initMs: performance.now() - t0, outcome: { kind: 'crash', detail: (err as Error).message }, usage: { cpuUs: 0, memoryPeakBytes: 0 } };
    }
    const attached = performance.now();
    trace.step('attach', t0, attached);
    return this.initialise(e, spec, 'prewarm', t0, attached, trace);
  }

  private async coldStart(evict: string[], spec: FunctionSpec, key: string, codeDir: string, trace: AcquireTrace): Promise<Acquired> {
    this.evict(evict);
    const id = `c-${shortId()}`;
    const e: Entry = { slot: { id, key, state: 'starting', memoryMiB: spec.memory, lastUsed: Date.now() }, paused: false };
    this.entries.set(id, e);
    const t0 = performance.now();
    try {
      e.container = await this.opts.factory.create({
        id, codeDir, limits: this.startLimits(spec.memory), upperBytes: tmpBytes(spec.memory),
      });
    } catch (err) {
      this.entries.delete(id);
      this.wake();
      this.observer.failed('function', 'launch');
      return { kind: 'init-failed', start: 'cold', initMs: performance.now() - t0, outcome: { kind: 'crash', detail: (err as Error).message }, usage: { cpuUs: 0, memoryPeakBytes: 0 } };
    }
    this.observer.started('function');
    const launched = performance.now();
    trace.step('launch', t0, launched);
    this.watch(e);
    e.slot.state = 'busy';
    return this.initialise(e, spec, 'cold', t0, launched, trace);
  }

  /** `t0`: when getting this container began; `i0`: when the step before init ended (init's span starts there). */
  private async initialise(e: Entry, spec: FunctionSpec, start: StartKind, t0: number, i0: number, trace: AcquireTrace): Promise<Acquired> {
    const c = e.container!;
    const outcome = await c.init({
      t: 'init', name: spec.name, version: spec.version, memoryMiB: spec.memory, codeDir: '/var/task',
      entry: spec.entry, env: spec.env, maxResponseBytes: this.opts.maxResponseBytes,
    }, this.opts.initTimeoutMs);
    const i1 = performance.now();
    const initMs = i1 - t0;
    trace.step('init', i0, i1);
    if (outcome.kind !== 'ok') {
      this.observer.failed('function', 'init');
      const usage = safeUsage(c);
      await this.destroy(e.slot.id);
      return { kind: 'init-failed', start, initMs, outcome, usage };
    }
    e.pending = { memoryMiB: spec.memory, cpu: spec.cpu, pids: DEFAULT_PIDS };
    return { kind: 'lease', lease: this.lease(e, start, initMs) };
  }

  private lease(e: Entry, start: StartKind, initMs: number): Lease {
    let released = false;
    return {
      container: e.container!, start, initMs,
      release: (healthy) => {
        if (released) return;
        released = true;
        // The stem cell taken is replaced once its first invocation is over, so
        // that booting the replacement does not compete with it for CPU; the
        // periodic maintenance fills up as well if the invocation runs long.
        if (start === 'prewarm') this.fillStems();
        if (!healthy || this.closed) {
          void this.destroy(e.slot.id);
          return;
        }
        if (e.pending) {
          try {
            e.container!.resize(e.pending);
          } catch {
            void this.destroy(e.slot.id);
            return;
          }
          e.pending = undefined;
        }
        this.idle(e);
        this.wake();
      },
    };
  }

  private idle(e: Entry) {
    e.slot.state = 'idle';
    e.slot.lastUsed = Date.now();
    clearTimeout(e.pauseTimer);
    e.pauseTimer = setTimeout(() => {
      if (e.slot.state !== 'idle' || e.paused) return;
      e.paused = true;
      e.container!.pause().catch(() => this.destroy(e.slot.id));
    }, this.opts.pauseGraceMs);
    e.pauseTimer.unref();
  }

  private startLimits(memoryMiB: number): ContainerLimits {
    return { memoryMiB, cpu: this.opts.startCpu, pids: DEFAULT_PIDS };
  }

  /** A container that dies on its own (crash while idle) leaves the pool. */
  private watch(e: Entry) {
    e.container!.exited.then(() => {
      if (this.entries.get(e.slot.id) === e && e.slot.state !== 'busy') void this.destroy(e.slot.id);
    }, () => {});
  }

  private evict(ids: string[]) {
    for (const id of ids) void this.destroy(id);
  }

  private async destroy(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    clearTimeout(e.pauseTimer);
    this.wake();
    await e.container?.destroy().catch(() => {});
  }

  private maintain() {
    if (this.closed) return;
    const minWarm = new Map([...this.minWarm].map(([k, s]) => [k, s.minWarm]));
    for (const id of expired(this.slots(), Date.now(), this.opts.keepAliveMs, minWarm)) void this.destroy(id);
    this.fillStems();
    for (const [key, spec] of this.minWarm) {
      const n = warmToStart(this.slots(), key, spec.minWarm, spec.memory, this.opts.budgetMiB);
      for (let i = 0; i < n; i++) void this.startWarm(spec, key);
    }
  }

  private fillStems() {
    const n = stemsToStart(this.slots(), this.opts.prewarm, this.opts.stemMiB, this.opts.budgetMiB);
    for (let i = 0; i < n; i++) void this.startStem();
  }

  private async startStem() {
    const id = `s-${shortId()}`;
    const e: Entry = { slot: { id, key: undefined, state: 'starting', memoryMiB: this.opts.stemMiB, lastUsed: Date.now() }, paused: false };
    this.entries.set(id, e);
    try {
      e.container = await this.opts.factory.create({ id, limits: this.startLimits(this.opts.stemMiB), upperBytes: tmpBytes(this.opts.stemMiB) });
    } catch (err) {
      this.entries.delete(id);
      // A stem still starting when the pool shuts down is killed with the rest: not a failure.
      if (this.closed) return;
      this.observer.failed('stem', 'launch');
      console.error(`invoker: a stem cell failed to start: ${(err as Error).message}`);
      return;
    }
    this.observer.started('stem');
    if (this.entries.get(id) !== e) {
      await e.container.destroy();
      return;
    }
    this.watch(e);
    this.idle(e);
    this.wake();
  }

  /** Starts an initialised container of `spec` and leaves it idle (minWarm). */
  private async startWarm(spec: FunctionSpec, key: string) {
    const acquired = await this.coldStart(victims(this.slots(), spec.memory, this.opts.budgetMiB, new Set()) ?? [], spec, key,
      await this.opts.codeDir(spec), UNTRACED).catch(() => undefined);
    if (acquired?.kind === 'lease') acquired.lease.release(true);
  }

  /** Resolves true when the pool changed, false at `until`. */
  private changed(until: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      }, Math.max(0, until - Date.now()));
      const wake = () => { clearTimeout(timer); resolve(true); };
      this.waiters.push(wake);
    });
  }

  private wake() {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

function safeUsage(c: Container) {
  try {
    return c.usage();
  } catch {
    return { cpuUs: 0, memoryPeakBytes: 0 };
  }
}
