import { describe, expect, it } from 'vitest';
import { OUTPUT_LIMIT, healthTransition, initialHealth, type HealthEffect, type HealthSnapshot } from '../../src/core/health-machine.js';
import type { HealthState } from '../../src/shared/types.js';

/** A run of probe results at given times (ms after the process started at t=1000). */
interface Step {
  at: number;
  ok: boolean;
  state: HealthState;
  failures: number;
  effects?: Array<HealthEffect['type'] | `notify:${string}`>;
}

interface Case {
  name: string;
  failures: number;
  startPeriodMs: number;
  steps: Step[];
}

const T0 = 1000;

const cases: Case[] = [
  {
    name: 'healthy on the first pass',
    failures: 3, startPeriodMs: 0,
    steps: [{ at: 100, ok: true, state: 'healthy', failures: 0 }],
  },
  {
    name: 'failures before the first pass keep it starting until the threshold',
    failures: 3, startPeriodMs: 0,
    steps: [
      { at: 100, ok: false, state: 'starting', failures: 1 },
      { at: 200, ok: false, state: 'starting', failures: 2 },
      { at: 300, ok: false, state: 'unhealthy', failures: 3, effects: ['notify:unhealthy', 'restart'] },
    ],
  },
  {
    name: 'start_period: failures inside it do not count',
    failures: 2, startPeriodMs: 1000,
    steps: [
      { at: 100, ok: false, state: 'starting', failures: 0 },
      { at: 900, ok: false, state: 'starting', failures: 0 },
      { at: 1100, ok: false, state: 'starting', failures: 1 },
      { at: 1200, ok: false, state: 'unhealthy', failures: 2, effects: ['notify:unhealthy', 'restart'] },
    ],
  },
  {
    name: 'start_period: a pass inside it makes it healthy, and later failures count at once',
    failures: 2, startPeriodMs: 5000,
    steps: [
      { at: 100, ok: true, state: 'healthy', failures: 0 },
      { at: 200, ok: false, state: 'healthy', failures: 1 },
      { at: 300, ok: false, state: 'unhealthy', failures: 2, effects: ['notify:unhealthy', 'restart'] },
    ],
  },
  {
    name: 'a pass resets the count (no flapping restart)',
    failures: 3, startPeriodMs: 0,
    steps: [
      { at: 100, ok: true, state: 'healthy', failures: 0 },
      { at: 200, ok: false, state: 'healthy', failures: 1 },
      { at: 300, ok: false, state: 'healthy', failures: 2 },
      { at: 400, ok: true, state: 'healthy', failures: 0 },
      { at: 500, ok: false, state: 'healthy', failures: 1 },
    ],
  },
  {
    name: 'failures: 0 reports at the first failure and never restarts; recovery notifies',
    failures: 0, startPeriodMs: 0,
    steps: [
      { at: 100, ok: true, state: 'healthy', failures: 0 },
      { at: 200, ok: false, state: 'unhealthy', failures: 1, effects: ['notify:unhealthy'] },
      { at: 300, ok: false, state: 'unhealthy', failures: 2 },
      { at: 400, ok: true, state: 'healthy', failures: 0, effects: ['notify:recovered'] },
    ],
  },
  {
    name: 'failures: 1 restarts at the first counted failure',
    failures: 1, startPeriodMs: 0,
    steps: [{ at: 100, ok: false, state: 'unhealthy', failures: 1, effects: ['notify:unhealthy', 'restart'] }],
  },
  {
    name: 'still unhealthy: no second notice, but each further failure asks for the restart again',
    failures: 2, startPeriodMs: 0,
    steps: [
      { at: 100, ok: false, state: 'starting', failures: 1 },
      { at: 200, ok: false, state: 'unhealthy', failures: 2, effects: ['notify:unhealthy', 'restart'] },
      { at: 300, ok: false, state: 'unhealthy', failures: 3, effects: ['restart'] },
    ],
  },
];

describe('health machine', () => {
  it.each(cases)('$name', ({ failures, startPeriodMs, steps }) => {
    let s: HealthSnapshot = initialHealth(T0);
    for (const step of steps) {
      const now = T0 + step.at;
      const t = healthTransition(s, { ok: step.ok, output: step.ok ? 'ok' : 'connection refused', durationMs: 3 }, now, { failures, startPeriodMs });
      expect({ at: step.at, state: t.next.state, failures: t.next.failures }).toEqual({ at: step.at, state: step.state, failures: step.failures });
      expect(t.effects.map((e) => (e.type === 'notify' ? `notify:${e.event}` : e.type))).toEqual(step.effects ?? []);
      expect(t.next.lastProbe).toEqual({ ok: step.ok, output: step.ok ? 'ok' : 'connection refused', durationMs: 3, at: now });
      if (t.next.state !== s.state) expect(t.next.since).toBe(now);
      else expect(t.next.since).toBe(s.since);
      s = t.next;
    }
  });

  it('names the failure and its output in the restart reason', () => {
    const t = healthTransition(initialHealth(0), { ok: false, output: '\nHTTP 503\nbody', durationMs: 1 }, 10, { failures: 1, startPeriodMs: 0 });
    expect(t.effects).toEqual([
      { type: 'notify', event: 'unhealthy', message: 'health check failed once: HTTP 503' },
      { type: 'restart', reason: 'health check failed once: HTTP 503' },
    ]);
  });

  it('keeps at most OUTPUT_LIMIT characters of output, the end of it', () => {
    const long = 'x'.repeat(OUTPUT_LIMIT * 3) + 'END';
    const t = healthTransition(initialHealth(0), { ok: true, output: long, durationMs: 1 }, 10, { failures: 3, startPeriodMs: 0 });
    expect(t.next.lastProbe!.output.length).toBe(OUTPUT_LIMIT);
    expect(t.next.lastProbe!.output.endsWith('END')).toBe(true);
  });
});
