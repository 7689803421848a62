import type { Cgroup } from '../cgroups/cgroup.js';
import type { InitFrame, InvokeFrame } from '../../core/schemas/control.js';
import { ControlChannel, type ShimFrame } from './control-channel.js';
import type {
  Container, ContainerLimits, ContainerSpec, ContainerState, ContainerUsage, InitOutcome, RunOutcome,
} from './container.js';
import type { AttachServer } from './attach-server.js';
import { launcherArgs } from './launcher-args.js';
import { launcherFailure } from './launcher-exit-codes.js';
import { LogCollector } from './log-collector.js';
import type { LaunchedProcess, SpawnServer } from './spawn-server.js';

export interface LaunchConfig {
  launcher: string;
  /** The root filesystem's read-only layers, top first: the code cache (when made) over the base layer. */
  rootLayers: string[];
  /** argv of the shim inside the container. */
  shimArgv(opts: { memoryMiB: number; start: 'cold' | 'prewarm' }): string[];
  shimEnv: Readonly<Record<string, string>>;
  /** A directory only root may enter, for the spawn server's socket. */
  runDir: string;
  /** Largest frame the shim may send (response body + headers). */
  maxFrameBytes: number;
  startTimeoutMs: number;
}

const EXIT_OOM = 137;

type Pending = {
  accept(f: ShimFrame): void;
  fail(err: Error): void;
};

/**
 * A container started by the C launcher (native/), with the runtime shim as
 * its payload, its control channel on fd 3 and its cgroup made by the invoker.
 */
export class LauncherContainer implements Container {
  private stateNow: ContainerState = 'starting';
  private pending: Pending | undefined;
  private initPid = 0;
  private exitCode: number | null = null;
  private stderrTail = '';
  private readonly logs = new LogCollector();
  readonly exited: Promise<void>;

  private constructor(
    readonly id: string,
    public limits: ContainerLimits,
    private readonly cgroup: Cgroup,
    private readonly proc: LaunchedProcess,
    private readonly channel: ControlChannel,
    private readonly attacher: AttachServer,
  ) {
    this.exited = proc.exited.then((code) => {
      this.exitCode = code;
      this.stateNow = 'dead';
    });
    channel.listen((f) => this.onFrame(f), (err) => this.onFailure(err));
    proc.output.on('data', (b: Buffer) => {
      if (this.stateNow === 'starting') this.stderrTail = (this.stderrTail + b.toString()).slice(-2000);
      this.logs.raw('stderr', b.toString());
    });
    proc.output.on('error', () => {});
    proc.output.resume();
  }

  static async start(
    spec: ContainerSpec, cgroup: Cgroup, config: LaunchConfig, spawner: SpawnServer, attacher: AttachServer,
    uid: number,
  ): Promise<LauncherContainer> {
    const args = launcherArgs({
      layers: config.rootLayers, upperBytes: spec.upperBytes, cgroupPaths: cgroup.joinPaths, env: config.shimEnv,
      binds: spec.codeDir ? [{ source: spec.codeDir, target: '/var/task', readOnly: true }] : [],
      passFds: [3], infoFd: 4, cwd: '/tmp', uid,
      argv: config.shimArgv({ memoryMiB: spec.limits.memoryMiB, start: spec.codeDir ? 'cold' : 'prewarm' }),
    });
    const proc = await spawner.launch(args);
    const channel = new ControlChannel(proc.control, config.maxFrameBytes);
    proc.control.resume();
    const c = new LauncherContainer(spec.id, spec.limits, cgroup, proc, channel, attacher);
    // Expected from now on: the shim's `ready` comes straight over the channel,
    // its pid through the spawn server, and on a loaded host `ready` can win.
    const ready = c.expect((f) => f.t === 'ready', config.startTimeoutMs, 'start');
    ready.catch(() => {}); // Awaited below, unless the pid never comes.
    try {
      c.initPid = await withTimeout(proc.initPid, config.startTimeoutMs, 'the launcher did not report its pid');
      await ready;
      c.stateNow = 'ready';
      return c;
    } catch (err) {
      c.pending?.fail(err as Error);
      await Promise.race([c.exited, new Promise((r) => setTimeout(r, 1000))]);
      const reason = c.exitCode === null ? undefined : launcherFailure(c.exitCode);
      await c.destroy();
      if (reason) throw new Error(`container ${spec.id} failed to start (${reason}): ${c.stderrTail.trim()}`);
      throw err;
    }
  }

  get state(): ContainerState {
    return this.stateNow;
  }

  attachCode(hostDir: string): Promise<void> {
    return this.attacher.attach(this.initPid, hostDir, '/var/task');
  }

  resize(limits: ContainerLimits): void {
    this.cgroup.setLimits({ memoryBytes: limits.memoryMiB * 1048576, cpu: limits.cpu, pids: limits.pids });
    this.limits = limits;
  }

  async init(frame: InitFrame, timeoutMs: number): Promise<InitOutcome> {
    this.logs.begin('init');
    this.channel.send(frame);
    try {
      const f = await this.expect((x) => x.t === 'init-ok' || x.t === 'init-error', timeoutMs, 'init');
      if (f.t === 'init-ok') return { kind: 'ok', style: f.style };
      if (f.t === 'init-error') return { kind: 'error', error: f.error, logs: [...this.logs.take(), ...f.logs] };
      throw new Error('unreachable');
    } catch (err) {
      return this.failureOutcome(err as Error);
    }
  }

  async run(frame: InvokeFrame, body: Buffer, timeoutMs: number): Promise<RunOutcome> {
    this.stateNow = 'busy';
    this.logs.begin(frame.id);
    this.channel.send(frame, body);
    try {
      const f = await this.expect((x) => (x.t === 'result' || x.t === 'error') && x.id === frame.id, timeoutMs, 'run', frame.id);
      this.stateNow = 'ready';
      if (f.t === 'result') return { kind: 'result', frame: f, body: f.body, logs: this.logs.finish(f.logs) };
      if (f.t === 'error') return { kind: 'error', frame: f, logs: this.logs.finish(f.logs) };
      throw new Error('unreachable');
    } catch (err) {
      const outcome = await this.failureOutcome(err as Error);
      return outcome.kind === 'crash' ? { ...outcome, logs: this.logs.finish([]) }
        : { kind: outcome.kind as 'timeout' | 'oom', logs: this.logs.finish([]) };
    }
  }

  usage(): ContainerUsage {
    return { cpuUs: this.cgroup.cpuUsageUs(), memoryPeakBytes: this.cgroup.memoryPeakBytes() };
  }

  resetPeak(): void {
    this.cgroup.resetPeak();
  }

  async pause(): Promise<void> {
    await this.cgroup.freeze();
    if (this.stateNow === 'ready') this.stateNow = 'paused';
  }

  async resume(): Promise<void> {
    await this.cgroup.thaw();
    if (this.stateNow === 'paused') this.stateNow = 'ready';
  }

  async destroy(): Promise<void> {
    this.stateNow = 'dead';
    this.channel.close();
    await this.cgroup.destroy();
    if (this.exitCode === null) {
      try {
        process.kill(this.proc.launcherPid, 'SIGKILL');
      } catch { /* already gone */ }
      await this.exited;
    }
  }

  private onFrame(f: ShimFrame) {
    if (f.t === 'log') {
      this.logs.add(f.id, f.logs);
      return;
    }
    const p = this.pending;
    if (!p) {
      this.channel.fail(new Error(`protocol violation: unexpected ${f.t} frame`));
      return;
    }
    p.accept(f);
  }

  private onFailure(err: Error) {
    this.pending?.fail(err);
  }

  /** Waits for the next frame, which must match; a timeout kills the container. */
  private expect(match: (f: ShimFrame) => boolean, timeoutMs: number, phase: string, id?: string): Promise<ShimFrame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new DeadlineError(`${phase} exceeded ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.pending = undefined; };
      this.pending = {
        accept: (f) => {
          done();
          if (match(f)) resolve(f);
          else {
            const err = new Error(`protocol violation: expected a ${phase} answer${id ? ` for ${id}` : ''}, got ${f.t}`);
            this.channel.fail(err);
            reject(err);
          }
        },
        fail: (err) => { done(); reject(err); },
      };
      if (this.channel.failed) this.pending.fail(this.channel.failed);
    });
  }

  /**
   * Tells a timeout, an OOM kill, a launcher failure and a crash apart. Every
   * process is gone afterwards but the cgroup stays, so that the caller can
   * still read what the invocation used before it destroys the container.
   */
  private async failureOutcome(err: Error): Promise<Exclude<InitOutcome, { kind: 'ok' | 'error' }>> {
    this.stateNow = 'dead';
    if (err instanceof DeadlineError) {
      await this.kill();
      return { kind: 'timeout' };
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
    const oom = this.exitCode === EXIT_OOM || this.oomKilled();
    await this.kill();
    if (oom) return { kind: 'oom' };
    const launcher = this.exitCode === null ? undefined : launcherFailure(this.exitCode);
    const detail = launcher ? `the container failed (${launcher}): ${this.stderrTail.trim()}`
      : this.exitCode !== null ? `the function's process exited with status ${this.exitCode}` : err.message;
    return { kind: 'crash', detail };
  }

  private async kill(): Promise<void> {
    this.channel.close();
    await this.cgroup.kill();
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
  }

  private oomKilled(): boolean {
    try {
      return this.cgroup.usage().oomKills > 0;
    } catch {
      return false;
    }
  }
}

class DeadlineError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

