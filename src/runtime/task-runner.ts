import type { EventEmitter } from 'node:events';
import type { TaskDetails, TaskStatus } from '../shared/protocol.js';
import type { CronTaskSpec, NotifyEvent, OverlapPolicy, RunRecord, RunTrigger, ServiceTaskSpec, TaskKind, TaskSpec } from '../shared/types.js';
import type { LogSink } from './log-sink.js';
import type { DependencyFacts } from '../core/start-order.js';

/**
 * What a runner can do beyond the commands every task takes. Callers ask for a capability
 * (`registry.capability(name, 'history')`), never for a kind or a class; a runner without it
 * answers WRONG_KIND in the registry's words. The runner factory is the only place that knows
 * which runner (and so which capabilities) serves which kind of task.
 */
export interface Capabilities {
  /** Runs of its own, each kept as a record (cron). Without it, "run now" starts the task. */
  runs?: RunsCapability;
  /** Kept run records. */
  history?: HistoryCapability;
  /** A count of long-running instances, set by the scale controller. */
  instances?: InstancesCapability;
  /** Replacing the instances one at a time (`jobctl restart --rolling`). */
  rolling?: RollingCapability;
}

export type Capability = keyof Capabilities;

export interface RunsCapability {
  /** The task's spec as its runs take it. */
  readonly spec: CronTaskSpec;
  /** A run now: the overlap policy (or the override) applies; the record is returned. */
  run(opts?: RunOptions): Promise<RunRecord>;
  /** End one run (running: stopped; waiting: skipped). False when it is not going or waiting. */
  stopRun(id: string, reason: string): boolean;
  /** Whether the task takes triggers now (a stopped task refuses them). */
  readonly taking: boolean;
}

export interface HistoryCapability {
  /** Kept run records, oldest first. */
  list(limit?: number): RunRecord[];
}

export interface InstancesCapability {
  readonly spec: ServiceTaskSpec;
  /** The count the scale controller set. */
  readonly count: number;
  /** What the last command wants of the instances (status's `desired`). */
  readonly desired: 'running' | 'stopped';
  /** The scale controller's: new instances start if the task runs; the highest stop first. */
  setCount(n: number): Promise<void>;
  /** Resolves once the instances are steady: none starting or stopping (bounded by the task's own timings). */
  whenSteady(): Promise<void>;
}

export interface RollingCapability {
  /** Restart the instances one at a time; resolves when the roll ends. */
  start(stepTimeoutMs: number): Promise<unknown>;
}

/**
 * One task's commands, whatever its kind (DESIGN.md "Controller: one owner per decision").
 * The registry and the socket handlers hold runners and never ask which kind they are:
 * `CronRunner` (scheduled runs) and `ServiceRunner` (long-running instances) implement it,
 * and say what more they can do in `can`.
 *
 * Commands settle to the last one given: a `start` while a `stop` is under way wins, and
 * the `stop` call then rejects with SUPERSEDED (it could not do what it says). Once
 * dispose() began (the task is being removed) start, restart, run and a new count are
 * NOT_FOUND: nothing outlives dispose().
 *
 * Events: 'state' (): something status shows changed; 'notify' (TaskNotice);
 * 'warning' (string).
 */
export interface TaskRunner extends EventEmitter {
  readonly name: string;
  readonly kind: TaskKind;
  readonly spec: TaskSpec;
  /** How messages name it: `a cron task`, `a service task`. */
  readonly noun: string;
  /** What it can do beyond the commands below. */
  readonly can: Capabilities;
  /** Wanted running (service) or scheduled (cron); SUPERSEDED, DISABLED. */
  start(): Promise<void>;
  /** Stop: instances / runs under way get stop_signal and are waited for; SUPERSEDED. */
  stop(): Promise<void>;
  /** Stop then start (service: each instance; cron: runs stop, the schedule stays); DISABLED. */
  restart(): Promise<void>;
  /** Send a signal to every live process group; returns how many were signalled. */
  signal(sig: NodeJS.Signals): number;
  status(): TaskStatus;
  /** What it has reached, for the tasks that depend on it (`depends_on`); `waiting`: held for its own dependencies. */
  dependencyFacts(waiting?: string): DependencyFacts;
  /** `status TASK`'s part that depends on how it runs: its policy, and its log files (`readFrom`: the files its last lines came from). */
  details(readFrom: readonly string[]): KindDetails;
  /**
   * A changed spec; `changedKeys` are the TaskSpec keys that differ (config/diff). Returns
   * false when the change cannot be applied in place (another kind): the owner replaces the runner.
   * `enabled` turning false stops the task; turning true only allows it to start: the owner
   * starts it, as it starts any task, once its `depends_on` are ready.
   */
  update(spec: TaskSpec, changedKeys: readonly string[]): Promise<boolean>;
  /** Recent output and followers: the runner knows where its logs are. */
  logs(query: LogQuery): LogSelection;
  /** Stop everything and release it. Safe to call twice. */
  dispose(): Promise<void>;
}

/** What `status TASK` shows of a task that only its runner knows. */
export type KindDetails = Pick<TaskDetails, 'logFiles' | 'restart' | 'retries'>;

/** Options of one triggered cron run (`jobctl run`, an xxl-job trigger…). All optional. */
export interface RunOptions {
  /** @default 'manual' */
  trigger?: RunTrigger;
  /** Who asked, kept on the record (e.g. `xxl-job`). */
  triggeredBy?: string;
  /** Extra variables for this run (over the task's env). */
  env?: Record<string, string>;
  /** This run's timeout in ms. @default the spec's `timeout` */
  timeoutMs?: number;
  /** This run's overlap policy. @default the spec's `overlap` */
  overlap?: OverlapPolicy;
  /** Retries of this run when it fails (0: the caller retries on its own). @default the spec's `retries` */
  retries?: number;
  /** An opaque tag stored on the record (e.g. an xxl-job log id). */
  tag?: string;
  /** Appended to the command: after a list command's argv; `$1`… of a string command. */
  args?: string[];
  /** Replaces the task's command for this run (a GLUE script from an xxl-job admin). */
  command?: string[];
}

/**
 * The answer of a firing gate: go, or skip with a reason (recorded on a `skipped` run).
 * `quiet`: nothing to record here (another host of the fleet runs this firing).
 */
export type GateResult = { ok: true } | { ok: false; reason: string; quiet?: boolean };

/**
 * Asked before each scheduled firing starts, and before each catch-up firing (e.g. a
 * once-per-fleet claim in Redis). Never asked for retries or manual runs. Without a gate a
 * firing starts at once, in the scheduler's tick.
 */
export type FiringGate = (spec: CronTaskSpec, scheduledAt: number) => Promise<GateResult>;

/** Something a task did that may deserve a message in chat. */
export interface TaskNotice {
  task: string;
  event: NotifyEvent;
  message: string;
  exitCode?: number | null;
  signal?: string | null;
  instance?: number;
  run?: RunRecord;
  /** The log file with the last lines. */
  logFile: string;
}

/** Which log of a task: an instance's (service) or a run's (cron). */
export interface LogQuery {
  instance?: number;
  /** A run id, a prefix of one, or `last`. */
  run?: string;
}

/** Where a log source comes from, for the push events of a follower. */
export interface LogOrigin {
  instance?: number;
  run?: string;
}

/** The logs a query selected. */
export interface LogSelection {
  /** The newest `n` lines of each selected log (in-memory ring when it holds enough, else files). */
  read(n: number, fromFilesOnly: boolean): Array<{ lines: string[]; files: string[]; capped?: boolean }>;
  /**
   * Follow: `onSink` for every live sink now and every one that appears; `onEnd` when the
   * followed thing can produce no more output (a given run ended). Returns the unfollow function.
   */
  follow(onSink: (sink: LogSink, origin: LogOrigin) => void, onEnd: (reason: string) => void): () => void;
}
