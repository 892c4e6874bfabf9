import type { z } from 'zod';
import type { ErrorCode } from './errors.js';
import type { METHOD_PARAMS } from './protocol-params.js';
import { METHOD_NAMES } from './protocol-checks.generated.js';
import { INSTANCE_STATES, type ConfigIssue, type HealthState, type InstanceState, type RunRecord, type TaskKind } from './types.js';

/**
 * The socket protocol (DESIGN.md "Socket protocol"): newline-delimited JSON over
 * `state/jobctl.sock`. Request `{id, method, params}`; reply `{id, result}` or
 * `{id, error: {code, message, data?}}`; pushes `{event, data}` for subscriptions.
 * Params are validated on the server by checks generated from the zod schemas of
 * shared/protocol-params.ts (scripts/generate-protocol-checks.ts); results are typed by `Results`.
 */

/**
 * The protocol's revision, in `hello`. 2: `subscribe` takes `recent` (the daemon's last events
 * in its reply). 3: a long-running task's kind is `service` to every reader; on the wire it
 * stays `daemon`, so older clients read it right (api/wire-kind.ts maps it both ways). A
 * client asks for what a revision added only of a daemon that has it.
 */
export const PROTOCOL = 3;
export { MAX_LINE_BYTES } from './limits.js';

export type Method = keyof typeof METHOD_PARAMS;
export type Params<M extends Method> = z.input<(typeof METHOD_PARAMS)[M]>;
export const METHODS = METHOD_NAMES as readonly Method[] as Method[];
export type { METHOD_PARAMS };

// ---- results ----

/** What a connection may do (docs/access.md): `access:` in jobctl.yaml, by operator. */
export type Role = 'viewer' | 'operator' | 'admin';

/** Who a connection is: the operator named by the SSH forced command, or the socket's owner. */
export interface Identity {
  /** The operator's name (`access:` key), or the OS user owning the daemon for a local connection. */
  operator: string;
  role: Role;
  /** The scope: task names, globs and `@group`s this operator may see and act on; absent = every task. */
  tasks?: string[];
}

export interface HelloResult {
  protocol: number;
  version: string;
  pid: number;
  home: string;
  startedAt: number;
  /** Who this connection is and what it may do. */
  identity: Identity;
}

/** One line of `state/audit.jsonl`: a control call, who made it, from where, and how it ended. */
export interface AuditEntry {
  at: number;
  operator: string;
  /** The caller's role at the call; `unknown`: an operator named by its key but not in `access:` (refused). */
  role: Role | 'unknown';
  /** Where the operator connected from (SSH_CONNECTION: "client-ip port server-ip port"); absent = local socket. */
  from?: string;
  method: Method;
  /** The target as asked (task, `@group`, `*`) or the notifier; absent for daemon-wide calls. */
  target?: string;
  /** The tasks acted on (within the caller's scope). */
  tasks?: string[];
  /** Tasks of a group / `--all` target left alone: outside the caller's scope. */
  outOfScope?: number;
  result: 'ok' | 'error';
  code?: ErrorCode;
  message?: string;
}

/** The health check of one instance (tasks with `health:`). */
export interface InstanceHealth {
  state: HealthState;
  /** When `state` was entered (epoch ms). */
  since: number;
  /** Consecutive failed probes. */
  failures: number;
  /** The last probe: pass or fail, its output (or why it failed, trimmed), when and how long. */
  lastProbe?: { at: number; ok: boolean; output: string; durationMs: number };
}

export interface InstanceInfo {
  index: number;
  state: InstanceState;
  since: number;
  pid?: number;
  startedAt?: number;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: number; oom?: boolean };
  message?: string;
  retryAt?: number;
  cpu?: number;
  rss?: number;
  /** CPU time of the live processes of the instance's group, seconds. */
  cpuSeconds?: number;
  health?: InstanceHealth;
}

export interface ScaleInfo {
  min: number;
  max: number;
  current: number;
  target: number;
  /** `auto`, or the count set by `jobctl scale`. */
  mode: 'auto' | 'manual';
  backlog?: number;
  probedAt?: number;
  error?: string;
}

/**
 * A cron task's summary state: `running` (a run is live), `scheduled` (registered, waiting for
 * its next time), `on-demand` (started, no schedule: runs when asked), `stopped`, `disabled`,
 * `waiting` (started, held until its dependencies are ready).
 */
export const CRON_TASK_STATES = ['running', 'scheduled', 'on-demand', 'stopped', 'disabled', 'waiting'] as const;
export type CronTaskState = (typeof CRON_TASK_STATES)[number];

/**
 * A service task's summary state: its most telling instance state (fatal,
 * backoff, starting, stopping, running, exited, stopped, in that order), or `disabled`, or
 * `waiting` (started, held until its dependencies are ready).
 */
export const SERVICE_TASK_STATES = [...INSTANCE_STATES, 'disabled', 'waiting'] as const;
export type ServiceTaskState = (typeof SERVICE_TASK_STATES)[number];

export type TaskState = CronTaskState | ServiceTaskState;

/** What every task's status has, whatever its kind. */
interface TaskStatusBase {
  /** Set by fleet views (the inventory's host name); a daemon never sets it. */
  host?: string;
  name: string;
  group: string;
  description?: string;
  enabled: boolean;
  /** The task file (absolute). */
  file: string;
  /** What the user asked for. */
  desired: 'running' | 'stopped';
  /** Services: restarts of all instances; cron: retries of runs. */
  restarts: number;
  /** Why the task has not started yet: "waiting for db: unhealthy (needs healthy)". */
  waiting?: string;
  /** Only in `status` of one task by name. */
  details?: TaskDetails;
}
/*
 * Each kind lists the other kind's fields as `?: undefined` (never set): a reader may ask
 * `t.instances` or `t.lastRun` without narrowing first, as clients of the untyped status did.
 */

/** A long-running task (`kind: service`; `daemon` before protocol 3): N instances. */
export interface ServiceTaskStatus extends TaskStatusBase {
  kind: 'service';
  state: ServiceTaskState;
  /** Sum over the live instances. */
  cpu?: number;
  rss?: number;
  /** A rolling restart under way, or how the last one ended. */
  rolling?: RollingInfo;
  /** Always set by a daemon; optional for clients that build statuses of their own. */
  instances?: InstanceInfo[];
  running?: number;
  scale?: ScaleInfo;
  schedule?: undefined;
  timezone?: undefined;
  nextRunAt?: undefined;
  lastRun?: undefined;
  xxljobHandler?: undefined;
  activeRuns?: undefined;
}

/** A cron task: runs on a schedule or when asked. */
export interface CronTaskStatus extends TaskStatusBase {
  kind: 'cron';
  state: CronTaskState;
  cpu?: undefined;
  rss?: undefined;
  rolling?: undefined;
  instances?: undefined;
  running?: undefined;
  scale?: undefined;
  schedule?: string;
  timezone?: string;
  nextRunAt?: number;
  lastRun?: RunRecord;
  /** Set when an xxl-job admin triggers this task: the handler name its jobs use. */
  xxljobHandler?: string;
  activeRuns?: RunRecord[];
}

/** One task as status, the TUI and `--json` show it; `kind` tells which. Field names and values are the wire's. */
export type TaskStatus = ServiceTaskStatus | CronTaskStatus;

/** What `status TASK` adds for one task (as `pm2 describe`): how it runs, where it logs, how it ended. */
export interface TaskDetails {
  command: string | string[];
  cwd: string;
  user?: string;
  group?: string;
  /** Names of the task's `env` variables (never their values). */
  envKeys: string[];
  envFile?: string;
  /** Log files: each instance's, or the last run's (and the directory of run logs). */
  logFiles: string[];
  /** The last lines of the log of the last exit or run. */
  lastLines: string[];
  /** Service tasks: the restart policy and the fatal limits (restart window; failed starts in a row). */
  restart?: { policy: string; maxRestarts: number; windowMs: number; startRetries?: number };
  /** Cron tasks: retries configured per failed run. */
  retries?: number;
}

/** `jobctl restart --rolling`: one instance at a time. */
export interface RollingInfo {
  state: 'running' | 'done' | 'failed';
  /** The instance being replaced now (running), or the one that failed. */
  instance?: number;
  done: number;
  total: number;
  startedAt: number;
  endedAt?: number;
  message?: string;
}

export interface DaemonInfo {
  pid: number;
  version: string;
  home: string;
  tasksDir: string;
  startedAt: number;
  /** Problems in the task files. */
  configErrors: ConfigIssue[];
  /** Files with errors whose last good version keeps running (a file never valid is not loaded). */
  keptFiles?: string[];
  lastReloadAt?: number;
  warnings: string[];
  /** Executor mode (`xxljob:` in jobctl.yaml); absent when off. */
  xxljob?: XxlJobStatus;
  /** How task processes are contained: cgroups (with the limits in force) or process groups. */
  containment?: ContainmentInfo;
  /** Who this host is for `hosts:` selectors: its hostname and its labels (jobctl.yaml). */
  identity?: { hostname: string; labels: string[] };
}

/** Executor mode for an xxl-job admin, as `jobctl status` shows it. */
export interface XxlJobStatus {
  enabled: boolean;
  appname?: string;
  admin?: string[];
  version?: 2 | 3;
  /** Where the executor's HTTP server listens (actual port). */
  listen?: string;
  /** The address registered at the admin. */
  address?: string;
  registered: boolean;
  lastRegisteredAt?: number;
  /** The newest problem: registration, callbacks, the server or the settings. */
  lastError?: string;
  lastErrorAt?: number;
  /** Callbacks kept on disk until the admin confirms them. */
  pendingCallbacks: number;
  /** Runs triggered by the admin and not yet reported. */
  activeRuns: number;
  /** Callbacks the admin confirmed since the daemon started. */
  delivered: number;
}

export interface ContainmentInfo {
  mode: 'cgroup' | 'pgroup';
  /** One line: "cgroup v2 (<dir>; limits: …)" or "process groups (no cgroup delegation: see docs/running.md; …)". */
  description: string;
  /** The same in plain words, without paths: "cgroups: hybrid v1/v2; memory, cpu and pids limits enforced". */
  summary?: string;
}

/** A task of the shared repo whose `hosts:` do not select this host. */
export interface ElsewhereTask {
  name: string;
  group: string;
  kind: TaskKind;
  hosts: string[];
}

export interface StatusResult {
  daemon: DaemonInfo;
  tasks: TaskStatus[];
  /** With `allHosts`: the tasks this host does not run ("not for this host"). */
  elsewhere?: ElsewhereTask[];
}

export interface ControlResult {
  tasks: TaskStatus[];
  /** A group / `--all` target: how many of its tasks were left alone, outside the caller's rights (never their names). */
  outOfScope?: number;
}

/** What applying a changed task does: restart its processes (rolling: one at a time), replace its runner, apply in place, stop or start it. */
export type PlanEffect = 'restart' | 'rolling restart' | 'replace' | 'rescale' | 'in place' | 'stop' | 'start';

export interface PlanResult {
  added: string[];
  removed: string[];
  /** `effect`: what applying does to its processes (restart, or applied in place; start/stop when `enabled` flips). */
  changed: Array<{ name: string; keys: string[]; effect?: PlanEffect }>;
  unchanged: number;
  /** What was planned when not tasks/ as it is: `rev origin/main (3f2a1bc)` or `dir /path`. */
  source?: string;
  errors: ConfigIssue[];
  /** Files with errors whose last good version stays in force. */
  keptFiles?: string[];
  /** Tasks in tasks/ whose `hosts:` do not select this host. */
  elsewhere?: ElsewhereTask[];
}

export interface LogsResult {
  lines: string[];
  /** Which file(s) the lines came from. */
  files: string[];
  /** Set when following: the subscription that pushes `log` events. */
  subscription?: number;
  /** Fewer lines than asked: one request reads at most 512 KiB of log (see the files for more). */
  capped?: boolean;
}

export interface Results {
  hello: HelloResult;
  identify: { identity: Identity };
  status: StatusResult;
  start: ControlResult;
  stop: ControlResult;
  restart: ControlResult;
  run: { run?: RunRecord; task: TaskStatus };
  kill: { signalled: number };
  logs: LogsResult;
  history: { runs: RunRecord[] };
  plan: PlanResult;
  reload: PlanResult;
  /** `recent`: the events asked for with `recent`, oldest first; pushes follow from the next one on. */
  subscribe: { subscription: number; recent?: DaemonEvent[] };
  unsubscribe: { ok: true };
  scale: { task: TaskStatus };
  'notify-test': { ok: true; status: number };
  shutdown: { ok: true };
  audit: { entries: AuditEntry[] };
}

// ---- wire shapes ----

export interface RequestMessage<M extends Method = Method> {
  id: number | string;
  method: M;
  params?: Params<M>;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  data?: unknown;
}

export type ReplyMessage = { id: number | string | null; result: unknown } | { id: number | string | null; error: ErrorBody };

/** Pushed to subscribers. */
export type PushMessage =
  | { event: 'state'; data: TaskStatus }
  | { event: 'removed'; data: { name: string } }
  | { event: 'daemon'; data: DaemonInfo }
  | { event: 'event'; data: DaemonEvent }
  | { event: 'log'; data: { subscription: number; task: string; instance?: number; run?: string; text: string } }
  | { event: 'log-end'; data: { subscription: number; reason: string } }
  /** Log output of this subscription was left out because the client read slower than the task wrote. */
  | { event: 'log-skipped'; data: { subscription: number; bytes: number } }
  /** The last message before the daemon closes a connection that stopped reading: why. */
  | { event: 'dropped'; data: { reason: string } };

/** A line of the daemon's own event log (shown by `top` and the daemon log). */
export interface DaemonEvent {
  at: number;
  level: 'info' | 'warn' | 'error';
  task?: string;
  message: string;
}
