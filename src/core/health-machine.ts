import type { HealthSpec, HealthState } from '../shared/types.js';

/**
 * The health of one service-task instance (DESIGN.md "Health and order"), pure: a probe
 * result and the time go in; the next snapshot and what to do come out.
 *
 * - A new process is `starting`. The first passing probe makes it `healthy`.
 * - Failures within `start_period` of the start do not count while it is still `starting`.
 * - Each counted failure adds one; a pass resets the count. At `failures` consecutive
 *   failures (1 when `failures: 0`) the instance is `unhealthy` and a notice goes out;
 *   with `failures > 0` it is also restarted. `failures: 0` only reports.
 */

/** What the last probe saw; its output is kept (trimmed) for status. */
export interface ProbeOutcome {
  ok: boolean;
  /** The probe's output or the reason it failed, at most OUTPUT_LIMIT characters. */
  output: string;
  durationMs: number;
}

export interface LastProbe extends ProbeOutcome {
  at: number;
}

export interface HealthSnapshot {
  state: HealthState;
  /** When `state` was entered. */
  since: number;
  /** When the process being checked started. */
  startedAt: number;
  /** Consecutive counted failures. */
  failures: number;
  lastProbe?: LastProbe;
}

export type HealthEffect =
  | { type: 'restart'; reason: string }
  | { type: 'notify'; event: 'unhealthy' | 'recovered'; message: string };

/** Probe output kept per instance. */
export const OUTPUT_LIMIT = 2000;

export function initialHealth(startedAt: number): HealthSnapshot {
  return { state: 'starting', since: startedAt, startedAt, failures: 0 };
}

/** The number of consecutive failures that makes an instance unhealthy. */
export function unhealthyThreshold(spec: Pick<HealthSpec, 'failures'>): number {
  return Math.max(1, spec.failures);
}

export function healthTransition(
  s: HealthSnapshot,
  result: ProbeOutcome,
  now: number,
  spec: Pick<HealthSpec, 'failures' | 'startPeriodMs'>,
): { next: HealthSnapshot; effects: HealthEffect[] } {
  const lastProbe: LastProbe = { ...result, output: trimOutput(result.output), at: now };
  const effects: HealthEffect[] = [];
  const enter = (state: HealthState) => (state === s.state ? s.since : now);

  if (result.ok) {
    if (s.state === 'unhealthy') effects.push({ type: 'notify', event: 'recovered', message: 'health check passes again' });
    return { next: { ...s, state: 'healthy', since: enter('healthy'), failures: 0, lastProbe }, effects };
  }

  const inStartPeriod = s.state === 'starting' && now - s.startedAt < spec.startPeriodMs;
  if (inStartPeriod) return { next: { ...s, lastProbe }, effects };

  const failures = s.failures + 1;
  const threshold = unhealthyThreshold(spec);
  if (failures < threshold) return { next: { ...s, failures, lastProbe }, effects };

  const detail = lastProbe.output ? `: ${firstLine(lastProbe.output)}` : '';
  const times = failures === 1 ? 'once' : `${failures} times in a row`;
  if (s.state !== 'unhealthy') effects.push({ type: 'notify', event: 'unhealthy', message: `health check failed ${times}${detail}` });
  if (spec.failures > 0) effects.push({ type: 'restart', reason: `health check failed ${times}${detail}` });
  return { next: { ...s, state: 'unhealthy', since: enter('unhealthy'), failures, lastProbe }, effects };
}

export function trimOutput(text: string): string {
  const t = text.trim();
  return t.length <= OUTPUT_LIMIT ? t : `…${t.slice(t.length - OUTPUT_LIMIT + 1)}`;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
