/**
 * The normalized, validated shape of task files (DESIGN.md "Task files").
 * Durations are milliseconds, sizes are bytes. Produced by `config/`, consumed by
 * everything else. This file imports nothing of the project.
 */

export const SIGNALS = [
  'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGKILL', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGSTOP',
] as const;
export type SignalName = (typeof SIGNALS)[number];

export const RESTART_POLICIES = ['always', 'on-failure', 'never'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export const OVERLAP_POLICIES = ['skip', 'queue', 'replace', 'allow'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export const CATCHUP_POLICIES = ['none', 'latest', 'all'] as const;
export type CatchupPolicy = (typeof CATCHUP_POLICIES)[number];

export const NOTIFY_EVENTS = ['failure', 'fatal', 'timeout', 'recovered', 'unhealthy'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const NOTIFIER_FORMATS = ['generic', 'slack', 'dingtalk', 'feishu', 'wecom'] as const;
export type NotifierFormat = (typeof NOTIFIER_FORMATS)[number];

/**
 * The two kinds of task: `cron` (has a `schedule`) and `service` (long-running, N instances).
 * "daemon" means the supervisor only; on the socket a service's kind is still written `daemon`
 * for older clients, and read back as `service` (api/wire-kind.ts).
 */
export type TaskKind = 'cron' | 'service';

/** `depends_on:` conditions (DESIGN.md "Health and order"). */
export const DEPENDENCY_CONDITIONS = ['started', 'healthy', 'completed'] as const;
export type DependencyCondition = (typeof DEPENDENCY_CONDITIONS)[number];

/** How a config change reaches the running instances of a service task. */
export const UPDATE_STRATEGIES = ['all', 'rolling'] as const;
export type UpdateStrategy = (typeof UPDATE_STRATEGIES)[number];

/** What a health probe checks. */
export type HealthProbeSpec =
  | { kind: 'command'; command: string | string[] }
  /** `status` undefined: any 2xx or 3xx answer is healthy. */
  | { kind: 'http'; url: string; status?: number }
  | { kind: 'tcp'; host: string; port: number };

/** `health:` on a service task. */
export interface HealthSpec {
  probe: HealthProbeSpec;
  intervalMs: number;
  timeoutMs: number;
  /** Failures in this time after an instance starts do not count (it stays `starting`). */
  startPeriodMs: number;
  /** Consecutive failures that make an instance unhealthy and restart it; 0 = unhealthy at the first, never restarted. */
  failures: number;
}

export const HEALTH_STATES = ['starting', 'healthy', 'unhealthy'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

export interface LogSpec {
  /** Rotate the log file when it would grow past this many bytes. */
  maxSize: number;
  /** Rotated files kept (`<file>.1` … `<file>.<keep>`). */
  keep: number;
  /** Prefix each line with an ISO timestamp and a stream tag; false writes raw bytes. */
  timestamps: boolean;
}

export interface NotifySpec {
  on: NotifyEvent[];
  to: string[];
}

export interface RunAs {
  user?: string;
  group?: string;
}

/** Where a task was defined, for messages. */
export interface SourceRef {
  file: string;
  line: number;
}

interface TaskSpecBase {
  name: string;
  /** The task file's name without extension: `tasks/billing.yaml` -> `billing`. */
  group: string;
  kind: TaskKind;
  /** A string runs through `/bin/sh -c`; a list is exec'd directly. */
  command: string | string[];
  /** Absolute working directory. */
  cwd: string;
  env: Record<string, string>;
  /** Absolute path of a dotenv file, read at each start, merged under `env`. */
  envFile?: string;
  runAs?: RunAs;
  enabled: boolean;
  description?: string;
  stopSignal: SignalName;
  stopTimeoutMs: number;
  logs: LogSpec;
  notify?: NotifySpec;
  /** Labels or hostname globs of the hosts that run this task; undefined: every host. */
  hosts?: string[];
  /** Tasks that must reach a condition before this one starts; stops go in reverse order. */
  dependsOn?: Record<string, DependencyCondition>;
  /** cgroup limits of each instance / run (DESIGN.md "Processes"). */
  limits?: TaskLimits;
  source: SourceRef;
}

/** `xxljob:` on a task: the admin's jobs name it by `handler` (shared/xxl-job.md). */
export interface XxlTaskSpec {
  /** The JobHandler name entered in the admin's job form. */
  handler: string;
  /** Allow GLUE_* triggers (source code sent by the admin). */
  glue: boolean;
}

/** `limits:` — enforced by the instance's or run's cgroup (memory.max, cpu.max, pids.max). */
export interface TaskLimits {
  /** Bytes; above it the kernel OOM-kills a process of the group. */
  memory?: number;
  /** CPU cores (0.5 = half of one core). */
  cpu?: number;
  /** Most processes (and threads) at once. */
  pids?: number;
}

export interface CronTaskSpec extends TaskSpecBase {
  kind: 'cron';
  /** Undefined for an on-demand task (one with `xxljob:` and no schedule): it runs only when triggered. */
  schedule?: string;
  /** IANA zone; undefined means the host zone. */
  timezone?: string;
  jitterMs: number;
  timeoutMs?: number;
  retries: number;
  retryDelayMs: number;
  overlap: OverlapPolicy;
  catchup: CatchupPolicy;
  history: number;
  /** Each scheduled firing is claimed in the fleet lock (jobctl.yaml `lock:`) and runs on one host. */
  onOneHost?: boolean;
  xxljob?: XxlTaskSpec;
}

export interface ScaleSpec {
  min: number;
  max: number;
  /** Shell command that prints the backlog as a number. */
  probe: string;
  perInstance: number;
  intervalMs: number;
  cooldownMs: number;
}

export interface BackoffSpec {
  initialMs: number;
  maxMs: number;
}

export interface ServiceTaskSpec extends TaskSpecBase {
  kind: 'service';
  instances: number;
  restart: RestartPolicy;
  backoff: BackoffSpec;
  startMs: number;
  /** Consecutive failed starts (ended before startMs) tolerated; one more is fatal. */
  startRetries: number;
  maxRestarts: number;
  restartWindowMs: number;
  maxMemory?: number;
  maxLifetimeMs?: number;
  scale?: ScaleSpec;
  health?: HealthSpec;
  /** `rolling`: a config change restarts the instances one at a time. Absent: `all` at once. */
  update?: UpdateStrategy;
}

export type TaskSpec = CronTaskSpec | ServiceTaskSpec;

/** @deprecated the old name of ServiceTaskSpec, kept so parallel branches merge; use ServiceTaskSpec. */
export type DaemonTaskSpec = ServiceTaskSpec;

export interface NotifierSpec {
  name: string;
  /** May contain `${ENV_VAR}`, resolved when a message is sent. */
  url: string;
  format: NotifierFormat;
  source: SourceRef;
}

/** One problem in the task directory, located to the character. */
export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  task?: string;
  key?: string;
  message: string;
}

export interface FileSummary {
  /** Path as shown in messages. */
  file: string;
  /** Absolute path. */
  path: string;
  group: string;
  /** Names of the valid tasks and notifiers in the file. */
  tasks: string[];
  notifiers: string[];
  errors: number;
}

/**
 * A loaded task directory. `tasks` and `notifiers` come only from files without errors;
 * the daemon keeps the last good version of an invalid file's tasks.
 */
export interface ConfigSet {
  dir: string;
  tasks: TaskSpec[];
  notifiers: NotifierSpec[];
  files: FileSummary[];
  errors: ConfigIssue[];
}

// ---- runtime state, shared by daemon, protocol, CLI and TUI ----

export const INSTANCE_STATES = ['stopped', 'starting', 'running', 'backoff', 'stopping', 'exited', 'fatal'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

export const RUN_STATES = ['running', 'succeeded', 'failed', 'timed-out', 'killed', 'skipped', 'queued'] as const;
export type RunState = (typeof RUN_STATES)[number];

export const RUN_TRIGGERS = ['schedule', 'manual', 'catchup', 'retry', 'xxljob'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** One cron run (DESIGN.md "Cron run states"); times are epoch ms. */
export interface RunRecord {
  id: string;
  task: string;
  scheduledAt: number;
  startedAt?: number;
  endedAt?: number;
  exitCode?: number | null;
  signal?: string | null;
  attempt: number;
  trigger: RunTrigger;
  state: RunState;
  /** Why a run is skipped, failed to spawn, or was killed. */
  message?: string;
  /** What asked for the run when it was not the schedule (e.g. `xxl-job`); free text. */
  triggeredBy?: string;
  /** An opaque tag given with a triggered run (e.g. an xxl-job log id), kept on the record. */
  tag?: string;
}

// ---- host settings: <home>/jobctl.yaml (DESIGN.md "Host settings") ----

/** `metrics:` — Prometheus text format at /metrics. */
export interface MetricsSettings {
  /** `host:port` as written; loopback unless the user writes another address. */
  listen: string;
  host: string;
  port: number;
}

/** `xxljob:` — executor mode for an xxl-job admin (shared/xxl-job.md). */
export interface XxlJobSettings {
  /** Admin base addresses, e.g. `http://127.0.0.1:8080/xxl-job-admin`. */
  admin: string[];
  appname: string;
  /** May contain `${ENV_VAR}`, resolved when used. */
  accessToken?: string;
  /** PEM file of the CA(s) trusted for https admins instead of the system's. */
  caFile?: string;
  /** `host:port` of the executor's HTTP server. */
  listen: string;
  /** What to register; default derived from listen (`http://host:port/`). */
  address?: string;
  /** Wire version: 2 (`content`, `/run`) or 3 (`data`). */
  version: 2 | 3;
}

/** `lock:` — once-per-fleet claims for `on_one_host` cron tasks. */
export interface LockSettings {
  /** `redis://…`; may contain `${ENV_VAR}`. */
  redis: string;
}

/** A validated `<home>/jobctl.yaml`; every section optional, the file too. */
/** One operator's rights (`access:` in jobctl.yaml, docs/access.md). */
export interface AccessRule {
  role: 'viewer' | 'operator' | 'admin';
  /** Task names, globs (`report-*`) and `@group`s the operator may see and act on; absent = every task. */
  tasks?: string[];
}

export interface HostSettings {
  /** This host's names for `hosts:` selectors (the hostname always counts too). */
  labels: string[];
  /** Operators who reach the daemon over SSH (`jobctl dial-stdio --as NAME`), by name. */
  access?: Record<string, AccessRule>;
  metrics?: MetricsSettings;
  xxljob?: XxlJobSettings;
  lock?: LockSettings;
  notifiers: NotifierSpec[];
}
