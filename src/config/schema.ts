import { z } from 'zod';
import { MAX_INSTANCES } from '../shared/limits.js';
import {
  CATCHUP_POLICIES, DEPENDENCY_CONDITIONS, NOTIFIER_FORMATS, NOTIFY_EVENTS, OVERLAP_POLICIES, RESTART_POLICIES, UPDATE_STRATEGIES,
} from '../shared/types.js';
import { DURATION_HINT, SIZE_HINT, parseDuration, parseSize } from './units.js';
import { normalizeSignal } from '../shared/signals.js';
import { TASK_NAME_RE } from '../shared/names.js';
import { parseListen } from './host/listen.js';
import { globToRegExp } from '../shared/glob.js';

/**
 * The raw shape of a task file, as users write it (snake_case, durations as text).
 * Strict: unknown keys are errors. Which keys fit which kind of task is checked by a
 * validator, not here, so that one error can say "only for cron tasks".
 */

const duration = z
  .union([z.number(), z.string()])
  .refine((v) => parseDuration(v) !== undefined, { error: `invalid duration: ${DURATION_HINT}` })
  .meta({ description: 'a duration: 500ms, 10s, 5m, 1h30m, or a number of seconds' });

const size = z
  .union([z.number(), z.string()])
  .refine((v) => parseSize(v) !== undefined, { error: `invalid size: ${SIZE_HINT}` })
  .meta({ description: 'a size: 512KB, 100MB, 1GB, or a number of bytes' });

const positiveInt = z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' });

const signal = z
  .string({ error: 'must be a signal name such as SIGTERM' })
  .refine((v) => normalizeSignal(v) !== undefined, { error: 'unknown signal: use SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2' })
  .meta({ description: 'a signal name, e.g. SIGTERM or TERM' });

export const commandSchema = z
  .union([z.string().trim().min(1), z.array(z.string().min(1)).min(1)], {
    error: 'must be a non-empty string (run by /bin/sh -c) or a list of strings (exec\'d directly)',
  })
  .meta({ description: 'string: run by /bin/sh -c; list: exec\'d directly, no shell' });

export const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const logsSchema = z.strictObject({
  max_size: size.optional().meta({ description: 'rotate the log when it passes this size (default 100MB)' }),
  keep: positiveInt.min(0).max(1000).optional().meta({ description: 'rotated files kept (default 5)' }),
  timestamps: z.boolean().optional().meta({ description: 'timestamp and stream tag per line; false writes raw bytes (default true)' }),
});

const notifySchema = z.strictObject({
  on: z.array(z.enum(NOTIFY_EVENTS)).min(1).optional().meta({ description: 'events that send a message (default [failure, fatal, timeout])' }),
  to: z.array(z.string().min(1)).min(1).meta({ description: 'names of notifiers (top-level `notifiers:`)' }),
});

const backoffSchema = z.strictObject({
  initial: duration.optional().meta({ description: 'first delay (default 1s)' }),
  max: duration.optional().meta({ description: 'largest delay (default 1m)' }),
});

/** `cpu: 0.5` (cores) or `cpu: "50%"` (of one core). */
export function parseCpu(v: number | string): number | undefined {
  const n = typeof v === 'number' ? v : /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.test(v) ? Number(/(\d+(?:\.\d+)?)/.exec(v)![1]) / 100 : Number(v);
  return Number.isFinite(n) && n >= 0.01 && n <= 1024 ? n : undefined;
}

const limitsSchema = z.strictObject({
  memory: size.optional().meta({ description: 'memory of the instance or run (cgroup memory.max); above it the kernel OOM-kills' }),
  cpu: z.union([z.number(), z.string()])
    .refine((v) => parseCpu(v) !== undefined, { error: 'invalid cpu: use cores (0.5, 2) or a percent of one core ("50%")' })
    .optional().meta({ description: 'CPU cores (0.5) or percent of one core ("50%") (cgroup cpu.max)' }),
  pids: positiveInt.min(1).optional().meta({ description: 'most processes and threads at once (cgroup pids.max)' }),
}).meta({ description: 'cgroup limits of each instance or run (need cgroup containment; `jobctl status` says which are in force)' });

const scaleSchema = z.strictObject({
  min: positiveInt.min(0).optional().meta({ description: 'fewest instances (default 1)' }),
  max: positiveInt.min(1).meta({ description: 'most instances' }),
  probe: z.string().trim().min(1).meta({ description: 'shell command that prints the backlog as a number' }),
  per_instance: z.number().positive().optional().meta({ description: 'backlog one instance handles (default 1)' }),
  interval: duration.optional().meta({ description: 'how often the probe runs (default 10s)' }),
  cooldown: duration.optional().meta({ description: 'time below target before scaling down (default 1m)' }),
});

export const XXLJOB_HANDLER_RE = /^[A-Za-z0-9_.:-]{1,100}$/;

const xxljobTaskSchema = z.strictObject({
  handler: z.string().regex(XXLJOB_HANDLER_RE, { error: 'a handler name is 1-100 letters, digits, _ . : -' })
    .meta({ description: 'the JobHandler name the xxl-job admin\'s jobs use to run this task' }),
  glue: z.boolean().optional().meta({ description: 'allow GLUE jobs (code sent by the admin) to run as this task (default false)' }),
}).meta({ description: 'run this task when an xxl-job admin triggers it (host setting xxljob: in jobctl.yaml); without schedule the task runs only on demand' });

const httpUrl = z
  .string()
  .refine((v) => /^https?:\/\/[^/\s]+/.test(v), { error: 'must be an http:// or https:// URL, e.g. http://127.0.0.1:8080/health' });

const healthSchema = z
  .strictObject({
    command: commandSchema.optional().meta({ description: 'healthy when it exits 0 (string: /bin/sh -c; list: exec\'d)' }),
    http: z
      .union([httpUrl, z.strictObject({
        url: httpUrl.meta({ description: 'the URL to GET' }),
        status: positiveInt.min(100).max(599).optional().meta({ description: 'the expected status (default: any 2xx or 3xx)' }),
      })], { error: 'must be a URL or {url, status}' })
      .optional()
      .meta({ description: 'healthy when a GET answers 2xx/3xx (or `status`)' }),
    tcp: z
      .string()
      .refine((v) => parseListen(v) !== undefined, { error: 'must be host:port, e.g. 127.0.0.1:6379' })
      .optional()
      .meta({ description: 'healthy when a TCP connection to host:port opens' }),
    interval: duration.optional().meta({ description: 'time between probes (default 10s)' }),
    timeout: duration.optional().meta({ description: 'a probe running longer fails and is killed with its process group (default 5s)' }),
    start_period: duration.optional().meta({ description: 'failures in this time after a start do not count (default 0)' }),
    failures: positiveInt.min(0).max(1000).optional().meta({ description: 'consecutive failures that mark an instance unhealthy and restart it; 0 = report only (default 3)' }),
  })
  .meta({ description: 'service: a health check per instance: exactly one of command, http, tcp' });

const dependsOnSchema = z
  .record(z.string().regex(TASK_NAME_RE, { error: 'must be a task name' }), z.enum(DEPENDENCY_CONDITIONS))
  .meta({ description: 'tasks that must be started, healthy, or completed (last run succeeded) before this one starts' });

/** Every key a task may have. Shared by `tasks:` entries and the file's `defaults:`. */
export const taskShape = {
  command: commandSchema,
  description: z.string().optional().meta({ description: 'one line shown in status and the TUI' }),
  cwd: z.string().min(1).optional().meta({ description: 'working directory (default: the task file\'s directory)' }),
  env: z
    .record(z.string().regex(ENV_KEY_RE, { error: 'environment variable names are letters, digits and _' }),
      z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }))
    .optional()
    .meta({ description: 'extra environment variables' }),
  env_file: z.string().min(1).optional().meta({ description: 'dotenv file merged under env, read at each start' }),
  user: z.string().min(1).optional().meta({ description: 'run as this user (the daemon must be root)' }),
  group: z.string().min(1).optional().meta({ description: 'run as this group (the daemon must be root)' }),
  enabled: z.boolean().optional().meta({ description: 'false: loaded and shown, never started (default true)' }),
  stop_signal: signal.optional().meta({ description: 'graceful stop signal (default SIGTERM)' }),
  stop_timeout: duration.optional().meta({ description: 'time after stop_signal before SIGKILL to the group (default 10s)' }),
  logs: logsSchema.optional(),
  notify: notifySchema.optional(),
  hosts: z
    .array(z.string({ error: 'a host selector is a string' }).regex(/^[A-Za-z0-9._*?[\]!-]{1,253}$/, { error: 'a host selector is a label or a hostname glob (letters, digits, . _ - and * ? [ ])' })
      .refine(isHostGlob, { error: 'not a hostname glob: a [range] runs from low to high, e.g. [a-z]', abort: true }),
      { error: 'must be a list of labels or hostname globs, e.g. [web, "db-*"]' })
    .min(1, { error: 'must not be an empty list; leave hosts out to run on every host' })
    .optional()
    .meta({ description: 'run only on hosts with one of these labels (jobctl.yaml) or whose hostname matches one of these globs (default: every host)' }),
  depends_on: dependsOnSchema.optional(),
  limits: limitsSchema.optional(),
  // cron
  schedule: z.string().trim().min(1).optional().meta({ description: 'cron: 5 fields, or 6 with seconds first; @hourly, @daily…' }),
  timezone: z.string().min(1).optional().meta({ description: 'cron: IANA zone (default: host zone)' }),
  jitter: duration.optional().meta({ description: 'cron: random delay 0..jitter added to each firing (default 0)' }),
  timeout: duration.optional().meta({ description: 'cron: stop the run after this long (default: none)' }),
  retries: positiveInt.min(0).max(100).optional().meta({ description: 'cron: re-run a failed run up to N times (default 0)' }),
  retry_delay: duration.optional().meta({ description: 'cron: delay before the first retry, doubling each time (default 10s)' }),
  overlap: z.enum(OVERLAP_POLICIES).optional().meta({ description: 'cron: when the previous run still goes (default skip)' }),
  catchup: z.enum(CATCHUP_POLICIES).optional().meta({ description: 'cron: missed firings after downtime (default none)' }),
  history: positiveInt.min(1).max(10_000).optional().meta({ description: 'cron: runs kept with their logs (default 50)' }),
  on_one_host: z.boolean().optional().meta({ description: 'cron: each scheduled firing runs on one host of the fleet, claimed in Redis (lock: in jobctl.yaml) (default false)' }),
  xxljob: xxljobTaskSchema.optional(),
  // service
  instances: positiveInt.min(0).max(MAX_INSTANCES).optional().meta({ description: 'service: number of processes (default 1)' }),
  restart: z.enum(RESTART_POLICIES).optional().meta({ description: 'service: restart policy (default always)' }),
  backoff: backoffSchema.optional(),
  start_seconds: duration.optional().meta({ description: 'service: uptime after which a start counts as good (default 1s)' }),
  start_retries: positiveInt.min(0).optional().meta({ description: 'service: failed starts in a row (each ended before start_seconds) retried before fatal (default 5)' }),
  max_restarts: positiveInt.min(0).optional().meta({ description: 'service: more restarts than this within restart_window -> fatal (default 10)' }),
  restart_window: duration.optional().meta({ description: 'service: window for max_restarts (default 1m)' }),
  max_memory: size.optional().meta({ description: 'service: restart an instance whose process tree RSS passes this' }),
  max_lifetime: duration.optional().meta({ description: 'service: recycle an instance after this uptime' }),
  scale: scaleSchema.optional(),
  health: healthSchema.optional(),
  update: z.enum(UPDATE_STRATEGIES).optional().meta({ description: 'service: a config change restarts all instances at once, or one at a time (default all)' }),
};

export const taskSchema = z.strictObject(taskShape);
export type RawTask = z.infer<typeof taskSchema>;

/** `defaults:` takes every task key but `command`, `schedule` and `xxljob` (they define a task). */
const { command: _command, schedule: _schedule, xxljob: _xxljob, ...defaultsShape } = taskShape;
export const defaultsSchema = z.strictObject(defaultsShape);
export type RawDefaults = z.infer<typeof defaultsSchema>;

export const notifierSchema = z.strictObject({
  url: z.string().min(1).meta({ description: 'webhook URL; may be ${ENV_VAR}' }),
  format: z.enum(NOTIFIER_FORMATS).optional().meta({ description: 'payload format (default generic)' }),
});
export type RawNotifier = z.infer<typeof notifierSchema>;

/** The whole file, for the JSON Schema that editors use. */
export const fileSchema = z.strictObject({
  defaults: defaultsSchema.optional(),
  tasks: z.record(z.string().regex(TASK_NAME_RE), taskSchema).optional(),
  notifiers: z.record(z.string().regex(TASK_NAME_RE), notifierSchema).optional(),
});

export const CRON_ONLY_KEYS = ['schedule', 'timezone', 'jitter', 'timeout', 'retries', 'retry_delay', 'overlap', 'catchup', 'history', 'on_one_host', 'xxljob'] as const;

/** A task runs as a cron task (runs, not instances) when it has a schedule or is triggered by an xxl-job admin. */
export function isRunTask(task: Record<string, unknown>): boolean {
  return task.schedule !== undefined || task.xxljob !== undefined;
}
export const SERVICE_ONLY_KEYS = ['instances', 'restart', 'backoff', 'start_seconds', 'start_retries', 'max_restarts', 'restart_window', 'max_memory', 'max_lifetime', 'scale', 'health', 'update'] as const;
export const FILE_KEYS = ['defaults', 'tasks', 'notifiers'] as const;

/** A host selector the daemon can match (a `[z-a]` range would not compile). */
function isHostGlob(sel: string): boolean {
  try {
    globToRegExp(sel);
    return true;
  } catch {
    return false;
  }
}
