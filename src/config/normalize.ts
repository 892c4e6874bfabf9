import path from 'node:path';
import { normalizeSignal } from '../shared/signals.js';
import type { HealthProbeSpec, HealthSpec, LogSpec, NotifierSpec, NotifySpec, RunAs, SourceRef, TaskLimits, TaskSpec } from '../shared/types.js';
import { DEFAULTS } from './defaults.js';
import { CRON_ONLY_KEYS, SERVICE_ONLY_KEYS, isRunTask, parseCpu, type RawDefaults, type RawNotifier, type RawTask } from './schema.js';
import { parseDuration, parseSize } from './units.js';
import { parseListen } from './host/listen.js';

/** Keys whose map values merge one level with the file's `defaults:` instead of replacing them. */
const MERGED_KEYS = ['env', 'logs', 'backoff', 'depends_on', 'limits'] as const;

/**
 * The task as written with its file's `defaults:` under it. A default that does not fit
 * the task's kind (`timeout` for a service task) is left out rather than reported.
 */
export function applyDefaults(defaults: RawDefaults | undefined, task: Record<string, unknown>): Record<string, unknown> {
  if (!defaults) return task;
  const isCron = isRunTask(task);
  const misplaced: readonly string[] = isCron ? SERVICE_ONLY_KEYS : CRON_ONLY_KEYS;
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(defaults)) if (!misplaced.includes(k)) merged[k] = v;
  for (const [k, v] of Object.entries(task)) {
    const base = merged[k];
    const mergeable = (MERGED_KEYS as readonly string[]).includes(k) && isPlainObject(base) && isPlainObject(v);
    merged[k] = mergeable ? { ...base, ...v } : v;
  }
  return merged;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function normalizeLimits(raw: NonNullable<RawTask['limits']>): TaskLimits {
  return {
    ...(raw.memory !== undefined ? { memory: parseSize(raw.memory)! } : {}),
    ...(raw.cpu !== undefined ? { cpu: parseCpu(raw.cpu)! } : {}),
    ...(raw.pids !== undefined ? { pids: raw.pids } : {}),
  };
}

const ms = (v: string | number | undefined, fallback: number): number => (v === undefined ? fallback : parseDuration(v)!);
const optMs = (v: string | number | undefined): number | undefined => (v === undefined ? undefined : parseDuration(v));

export interface NormalizeContext {
  name: string;
  group: string;
  /** Absolute directory of the task file: relative `cwd` and `env_file` resolve against it. */
  fileDir: string;
  source: SourceRef;
}

/** A schema-valid raw task -> the TaskSpec the engine runs. */
export function normalizeTask(raw: RawTask, ctx: NormalizeContext): TaskSpec {
  const logs: LogSpec = {
    maxSize: raw.logs?.max_size === undefined ? DEFAULTS.logs.maxSize : parseSize(raw.logs.max_size)!,
    keep: raw.logs?.keep ?? DEFAULTS.logs.keep,
    timestamps: raw.logs?.timestamps ?? DEFAULTS.logs.timestamps,
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.env ?? {})) env[k] = String(v);
  const runAs: RunAs | undefined = raw.user || raw.group ? { user: raw.user, group: raw.group } : undefined;
  if (runAs && runAs.user === undefined) delete runAs.user;
  if (runAs && runAs.group === undefined) delete runAs.group;
  const notify: NotifySpec | undefined = raw.notify
    ? { on: raw.notify.on ?? ['failure', 'fatal', 'timeout'], to: raw.notify.to }
    : undefined;

  const limits = raw.limits ? normalizeLimits(raw.limits) : undefined;

  const base = {
    name: ctx.name,
    group: ctx.group,
    command: raw.command,
    cwd: path.resolve(ctx.fileDir, raw.cwd ?? '.'),
    env,
    ...(raw.env_file ? { envFile: path.resolve(ctx.fileDir, raw.env_file) } : {}),
    ...(runAs ? { runAs } : {}),
    enabled: raw.enabled ?? DEFAULTS.enabled,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    stopSignal: raw.stop_signal ? normalizeSignal(raw.stop_signal)! : DEFAULTS.stopSignal,
    stopTimeoutMs: ms(raw.stop_timeout, DEFAULTS.stopTimeoutMs),
    logs,
    ...(notify ? { notify } : {}),
    ...(raw.hosts ? { hosts: [...new Set(raw.hosts)] } : {}),
    ...(raw.depends_on && Object.keys(raw.depends_on).length ? { dependsOn: { ...raw.depends_on } } : {}),
    ...(limits ? { limits } : {}),
    source: ctx.source,
  };

  if (isRunTask(raw)) {
    const timeoutMs = optMs(raw.timeout);
    return {
      ...base,
      kind: 'cron',
      ...(raw.schedule !== undefined ? { schedule: raw.schedule } : {}),
      ...(raw.xxljob ? { xxljob: { handler: raw.xxljob.handler, glue: raw.xxljob.glue ?? false } } : {}),
      ...(raw.timezone ? { timezone: raw.timezone } : {}),
      jitterMs: ms(raw.jitter, DEFAULTS.cron.jitterMs),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      retries: raw.retries ?? DEFAULTS.cron.retries,
      retryDelayMs: ms(raw.retry_delay, DEFAULTS.cron.retryDelayMs),
      overlap: raw.overlap ?? DEFAULTS.cron.overlap,
      catchup: raw.catchup ?? DEFAULTS.cron.catchup,
      history: raw.history ?? DEFAULTS.cron.history,
      ...((raw.on_one_host ?? DEFAULTS.cron.onOneHost) ? { onOneHost: true } : {}),
    };
  }

  const maxMemory = raw.max_memory === undefined ? undefined : parseSize(raw.max_memory);
  const maxLifetimeMs = optMs(raw.max_lifetime);
  const health = raw.health ? normalizeHealth(raw.health) : undefined;
  return {
    ...base,
    kind: 'service',
    instances: raw.instances ?? (raw.scale ? raw.scale.min ?? DEFAULTS.scale.min : DEFAULTS.daemon.instances),
    restart: raw.restart ?? DEFAULTS.daemon.restart,
    backoff: {
      initialMs: ms(raw.backoff?.initial, DEFAULTS.daemon.backoff.initialMs),
      maxMs: ms(raw.backoff?.max, DEFAULTS.daemon.backoff.maxMs),
    },
    startMs: ms(raw.start_seconds, DEFAULTS.daemon.startMs),
    startRetries: raw.start_retries ?? DEFAULTS.daemon.startRetries,
    maxRestarts: raw.max_restarts ?? DEFAULTS.daemon.maxRestarts,
    restartWindowMs: ms(raw.restart_window, DEFAULTS.daemon.restartWindowMs),
    ...(maxMemory !== undefined ? { maxMemory } : {}),
    ...(maxLifetimeMs !== undefined ? { maxLifetimeMs } : {}),
    ...(health ? { health } : {}),
    ...(raw.update ? { update: raw.update } : {}),
    ...(raw.scale
      ? {
          scale: {
            min: raw.scale.min ?? DEFAULTS.scale.min,
            max: raw.scale.max,
            probe: raw.scale.probe,
            perInstance: raw.scale.per_instance ?? DEFAULTS.scale.perInstance,
            intervalMs: ms(raw.scale.interval, DEFAULTS.scale.intervalMs),
            cooldownMs: ms(raw.scale.cooldown, DEFAULTS.scale.cooldownMs),
          },
        }
      : {}),
  };
}

/** `health:` -> HealthSpec. The validator has checked that exactly one probe is given. */
export function normalizeHealth(raw: NonNullable<RawTask['health']>): HealthSpec | undefined {
  let probe: HealthProbeSpec | undefined;
  if (raw.command !== undefined) probe = { kind: 'command', command: raw.command };
  else if (raw.http !== undefined) {
    probe = typeof raw.http === 'string'
      ? { kind: 'http', url: raw.http }
      : { kind: 'http', url: raw.http.url, ...(raw.http.status !== undefined ? { status: raw.http.status } : {}) };
  } else if (raw.tcp !== undefined) {
    probe = { kind: 'tcp', ...parseListen(raw.tcp)! };
  }
  if (!probe) return undefined;
  return {
    probe,
    intervalMs: ms(raw.interval, DEFAULTS.health.intervalMs),
    timeoutMs: ms(raw.timeout, DEFAULTS.health.timeoutMs),
    startPeriodMs: ms(raw.start_period, DEFAULTS.health.startPeriodMs),
    failures: raw.failures ?? DEFAULTS.health.failures,
  };
}

export function normalizeNotifier(name: string, raw: RawNotifier, source: SourceRef): NotifierSpec {
  return { name, url: raw.url, format: raw.format ?? 'generic', source };
}
