import type { ErrorFrame, ErrorInfo, InitFrame, InvokeFrame, LogLine, ResultFrame } from '../../core/schemas/control.js';

/** Pids a container may hold: Node's own threads plus what a function may spawn. */
export const DEFAULT_PIDS = 512;

/** Resources of one container; the cgroup enforces them. */
export interface ContainerLimits {
  memoryMiB: number;
  cpu: number;
  pids: number;
}

/**
 * The writable layer (/tmp and every other write) is a tmpfs whose pages count
 * against the container's memory, so it gets half of it: a full /tmp ends in
 * ENOSPC, not in an OOM kill.
 */
export const tmpBytes = (memoryMiB: number): number => Math.floor(memoryMiB / 2) * 1048576;

export interface ContainerSpec {
  /** Unique on the host. */
  id: string;
  limits: ContainerLimits;
  /** A directory on the host to mount read-only at /var/task from the start (cold start); stem cells get none. */
  codeDir?: string;
  /** Size of the writable layer (tmpfs: /tmp and any other write), bytes. */
  upperBytes: number;
}

/** How an invocation ended, from the container's side. */
export type RunOutcome =
  | { kind: 'result'; frame: ResultFrame; body: Buffer; logs: LogLine[] }
  | { kind: 'error'; frame: ErrorFrame; logs: LogLine[] }
  | { kind: 'timeout'; logs: LogLine[] }
  | { kind: 'oom'; logs: LogLine[] }
  | { kind: 'crash'; detail: string; logs: LogLine[] };

export type InitOutcome =
  | { kind: 'ok'; style: 'fetch' | 'lambda' }
  | { kind: 'error'; error: ErrorInfo; logs: LogLine[] }
  | { kind: 'timeout' }
  | { kind: 'oom' }
  | { kind: 'crash'; detail: string };

export interface ContainerUsage {
  cpuUs: number;
  memoryPeakBytes: number;
}

/** Container lifecycle states, named as OpenWhisk's ContainerProxy names them. */
export type ContainerState = 'starting' | 'ready' | 'busy' | 'paused' | 'dead';

/**
 * One container running the runtime shim. At most one invocation at a time.
 * A container whose invocation timed out, ran out of memory or crashed is
 * dead and must be destroyed.
 */
export interface Container {
  readonly id: string;
  readonly limits: ContainerLimits;
  readonly state: ContainerState;
  /** Mounts a function's code at /var/task of a stem cell (prewarmed, no code yet). */
  attachCode(hostDir: string): Promise<void>;
  /** Changes the cgroup limits (a stem cell takes on its function's). */
  resize(limits: ContainerLimits): void;
  init(frame: InitFrame, timeoutMs: number): Promise<InitOutcome>;
  run(frame: InvokeFrame, body: Buffer, timeoutMs: number): Promise<RunOutcome>;
  /** CPU time and peak memory so far; resetPeak starts a new peak window. */
  usage(): ContainerUsage;
  resetPeak(): void;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Kills every process and removes the cgroup; leaves nothing on the host. Idempotent. */
  destroy(): Promise<void>;
  /** Resolves when the container dies on its own (crash) or is destroyed. */
  readonly exited: Promise<void>;
}

/** Makes containers: the real one (launcher) and any test double share this interface. */
export interface ContainerFactory {
  create(spec: ContainerSpec): Promise<Container>;
  /** Removes what a crashed earlier invoker on this host left (cgroups, processes). */
  cleanup(): Promise<string[]>;
  /** Destroys every container this factory made. */
  destroyAll(): Promise<void>;
}
