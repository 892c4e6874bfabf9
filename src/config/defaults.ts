import type { BackoffSpec, CatchupPolicy, LogSpec, OverlapPolicy, RestartPolicy, SignalName } from '../shared/types.js';

/**
 * Every default of a task file, in one place (normalized units: ms, bytes).
 * `tasks.example.yaml` and the JSON Schema descriptions repeat these values for users;
 * a test keeps them in step.
 */
export const DEFAULTS = {
  /** @default true */
  enabled: true,
  /** @default 'SIGTERM' */
  stopSignal: 'SIGTERM' as SignalName,
  /** @default 10s */
  stopTimeoutMs: 10_000,
  logs: {
    /** @default 100MB */
    maxSize: 100 * 1024 * 1024,
    /** @default 5 */
    keep: 5,
    /** @default true */
    timestamps: true,
  } satisfies LogSpec,
  cron: {
    /** @default 0 */
    jitterMs: 0,
    /** @default 0 */
    retries: 0,
    /** @default 10s (doubles for each further attempt) */
    retryDelayMs: 10_000,
    /** @default 'skip' */
    overlap: 'skip' as OverlapPolicy,
    /** @default 'none' */
    catchup: 'none' as CatchupPolicy,
    /** @default 50 */
    history: 50,
    /** @default false */
    onOneHost: false,
    /** `catchup: all` runs at most this many missed firings; the rest are recorded as skipped. */
    catchupCap: 100,
  },
  daemon: {
    /** @default 1 */
    instances: 1,
    /** @default 'always' */
    restart: 'always' as RestartPolicy,
    /** @default {initial: 1s, max: 1m} */
    backoff: { initialMs: 1000, maxMs: 60_000 } satisfies BackoffSpec,
    /** @default 1s */
    startMs: 1000,
    /** @default 5 (supervisord's startretries: a process that never stays up goes fatal) */
    startRetries: 5,
    /** @default 10 */
    maxRestarts: 10,
    /** @default 1m */
    restartWindowMs: 60_000,
  },
  scale: {
    /** @default 1 */
    min: 1,
    /** @default 1 */
    perInstance: 1,
    /** @default 10s */
    intervalMs: 10_000,
    /** @default 1m */
    cooldownMs: 60_000,
  },
} as const;
