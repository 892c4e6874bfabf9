import type { HealthState, InstanceState } from '../shared/types.js';

/**
 * One step of a rolling restart (DESIGN.md "Health and order"), pure: after the instance
 * was told to restart, is its replacement up (running, or healthy when the task has a
 * health check), still coming, or failed? The runtime asks after every change and stops
 * the whole roll at the first failure, leaving the other instances untouched.
 */

export interface StepObservation {
  state: InstanceState;
  pid?: number;
  health?: { state: HealthState; lastProbe?: { output: string } };
  lastExit?: { code: number | null; signal: string | null };
  message?: string;
}

export type StepVerdict = { kind: 'wait' } | { kind: 'done' } | { kind: 'failed'; reason: string };

/** States in which a replacement has given up (or was given up on). */
const FAILED_STATES: ReadonlySet<InstanceState> = new Set(['backoff', 'exited', 'fatal']);

export function rollingStep(
  o: StepObservation,
  step: { oldPid?: number; requireHealthy: boolean; startedAt: number; timeoutMs: number },
  now: number,
): StepVerdict {
  if (FAILED_STATES.has(o.state)) {
    const exit = o.lastExit ? (o.lastExit.code !== null ? ` (exit code ${o.lastExit.code})` : ` (${o.lastExit.signal})`) : '';
    return { kind: 'failed', reason: `the new process ${o.state === 'backoff' ? 'failed' : `is ${o.state}`}${exit}${o.message ? `: ${o.message}` : ''}` };
  }
  const isNew = o.pid !== undefined && o.pid !== step.oldPid;
  if (o.state === 'running' && isNew) {
    if (!step.requireHealthy) return { kind: 'done' };
    if (o.health?.state === 'healthy') return { kind: 'done' };
    if (o.health?.state === 'unhealthy') {
      const probe = o.health.lastProbe?.output.split('\n')[0];
      return { kind: 'failed', reason: `the new process is unhealthy${probe ? `: ${probe}` : ''}` };
    }
  }
  if (now - step.startedAt >= step.timeoutMs) {
    const what = step.requireHealthy ? 'healthy' : 'running';
    return { kind: 'failed', reason: `not ${what} within ${Math.round(step.timeoutMs / 1000)}s (now ${o.health && o.state === 'running' ? o.health.state : o.state})` };
  }
  return { kind: 'wait' };
}
