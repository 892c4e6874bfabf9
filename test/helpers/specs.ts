import path from 'node:path';
import { DEFAULTS } from '../../src/config/defaults.js';
import type { CronTaskSpec, ServiceTaskSpec } from '../../src/shared/types.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
export const fixture = (name: string) => path.join(FIXTURES, name);

/** A service (long-running) task spec with short, test-friendly defaults. */
export function serviceSpec(over: Partial<ServiceTaskSpec> = {}): ServiceTaskSpec {
  return {
    name: 'test-task', group: 'test', kind: 'service', command: 'sleep 1000', cwd: FIXTURES, env: {},
    enabled: true, stopSignal: 'SIGTERM', stopTimeoutMs: 2000,
    logs: { ...DEFAULTS.logs }, source: { file: '/dev/null', line: 1 },
    instances: 1, restart: 'always', backoff: { initialMs: 100, maxMs: 1000 }, startMs: 200,
    startRetries: 5, maxRestarts: 10, restartWindowMs: 60_000,
    ...over,
  };
}

export function cronSpec(over: Partial<CronTaskSpec> = {}): CronTaskSpec {
  return {
    name: 'test-cron', group: 'test', kind: 'cron', command: 'echo hi', cwd: FIXTURES, env: {},
    enabled: true, stopSignal: 'SIGTERM', stopTimeoutMs: 2000,
    logs: { ...DEFAULTS.logs }, source: { file: '/dev/null', line: 1 },
    schedule: '* * * * * *', jitterMs: 0, retries: 0, retryDelayMs: 1000, overlap: 'skip', catchup: 'none', history: 50,
    ...over,
  };
}

/** @deprecated the old name of serviceSpec, kept so parallel branches merge. */
export const daemonSpec = serviceSpec;
