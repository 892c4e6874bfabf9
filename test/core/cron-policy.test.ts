import { describe, expect, it } from 'vitest';
import { catchupPlan, makeRunId, retryDelay, runNotices, runOutcome, shouldRetry } from '../../src/core/cron-policy.js';
import { cronTransition, initialCronSnapshot, type RunRef } from '../../src/core/cron-run-machine.js';
import type { OverlapPolicy } from '../../src/shared/types.js';

const at = (s: string) => Date.parse(s);

// The overlap policy is encoded once, as transitions of the run machine (core/cron-run-machine).
describe('overlap policies', () => {
  const ref = (id: string, overlap: OverlapPolicy): RunRef => ({ id, scheduledAt: 0, trigger: 'schedule', attempt: 1, overlap });
  /** What the machine does with a new firing, given `active` runs going and whether one waits. */
  const actionOf = (policy: OverlapPolicy, active: number, queued: boolean): string => {
    let s = initialCronSnapshot();
    const cfg = { retries: 0, retryDelayMs: 1000 };
    for (let i = 0; i < active; i++) s = cronTransition(s, { type: 'fire', run: ref(`r${i}`, 'allow') }, cfg).next;
    if (queued) s = cronTransition(s, { type: 'fire', run: ref('w', 'queue') }, cfg).next;
    // A waiting run exists only while runs are going: when the last ends, it starts.
    if (active === 0 && queued) return s.running.some((r) => r.id === 'w') && !s.waiting ? 'start' : 'waiting kept';
    const effects = cronTransition(s, { type: 'fire', run: ref('new', policy) }, cfg).effects;
    if (effects.some((e) => e.type === 'spawn' && e.run.id === 'new')) return 'start';
    if (effects.some((e) => e.type === 'stop-run')) return 'replace';
    const mine = effects.find((e) => e.type === 'state' && e.run.id === 'new');
    return mine?.type === 'state' && mine.state === 'queued' ? 'queue' : mine?.type === 'state' && mine.state === 'skipped' ? 'skip' : 'none';
  };
  it.each([
    ['skip', 0, false, 'start'], ['skip', 1, false, 'skip'],
    ['queue', 1, false, 'queue'], ['queue', 1, true, 'skip'], ['queue', 0, true, 'start'],
    ['replace', 1, false, 'replace'], ['allow', 3, false, 'start'],
  ] as const)('%s with %d running (queued: %s) -> %s', (policy, active, queued, action) => {
    expect(actionOf(policy, active, queued)).toBe(action);
  });
});

describe('run notices', () => {
  it('failure and timeout each time; recovered once, on the first success after a failure', () => {
    const seq = (['succeeded', 'failed', 'killed', 'skipped', 'timed-out', 'succeeded', 'succeeded'] as const);
    let last: boolean | undefined;
    const out: string[] = [];
    for (const state of seq) {
      const r = runNotices(last, state);
      last = r.lastFailed;
      out.push(r.notices.map((n) => n.event).join(',') || '-');
    }
    expect(out).toEqual(['-', 'failure', '-', '-', 'timeout', 'recovered', '-']);
  });
  it('the first run ever that succeeds recovers nothing', () => {
    expect(runNotices(undefined, 'succeeded')).toEqual({ notices: [], lastFailed: false });
  });
});

describe('retries', () => {
  it('delay doubles from retry_delay', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(10_000, n))).toEqual([10_000, 20_000, 40_000, 80_000]);
  });
  it('retries failures and timeouts, up to `retries` more attempts', () => {
    expect(shouldRetry('failed', 1, 2)).toBe(true);
    expect(shouldRetry('timed-out', 2, 2)).toBe(true);
    expect(shouldRetry('failed', 3, 2)).toBe(false);
    expect(shouldRetry('succeeded', 1, 2)).toBe(false);
    expect(shouldRetry('killed', 1, 2)).toBe(false);
  });
});

describe('run outcome', () => {
  it('maps exit flags to states', () => {
    expect(runOutcome({ code: 0, signal: null, timedOut: false, killed: false })).toBe('succeeded');
    expect(runOutcome({ code: 2, signal: null, timedOut: false, killed: false })).toBe('failed');
    expect(runOutcome({ code: null, signal: 'SIGSEGV', timedOut: false, killed: false })).toBe('failed');
    expect(runOutcome({ code: null, signal: 'SIGTERM', timedOut: true, killed: false })).toBe('timed-out');
    expect(runOutcome({ code: 0, signal: null, timedOut: false, killed: true })).toBe('killed');
  });
});

describe('catch-up after downtime', () => {
  const minutely = { schedule: '* * * * *', timezone: 'UTC' };
  const last = at('2026-01-01T00:00:00Z');
  const now = at('2026-01-01T00:10:30Z'); // 10 missed firings

  it('none: runs nothing, skips all, advances to the latest', () => {
    expect(catchupPlan(minutely, 'none', last, now, 100)).toEqual({ run: [], skipped: 10, latest: at('2026-01-01T00:10:00Z') });
  });
  it('latest: runs the newest missed firing once', () => {
    expect(catchupPlan(minutely, 'latest', last, now, 100)).toEqual({ run: [at('2026-01-01T00:10:00Z')], skipped: 9, latest: at('2026-01-01T00:10:00Z') });
  });
  it('all: each missed firing in order', () => {
    const plan = catchupPlan(minutely, 'all', last, now, 100);
    expect(plan.run).toHaveLength(10);
    expect(plan.run[0]).toBe(at('2026-01-01T00:01:00Z'));
    expect(plan.skipped).toBe(0);
  });
  it('all: capped at 100, the rest skipped', () => {
    const plan = catchupPlan(minutely, 'all', last, at('2026-01-01T05:00:00Z'), 100);
    expect(plan.run).toHaveLength(100);
    expect(plan.skipped).toBe(200);
    expect(plan.latest).toBe(at('2026-01-01T05:00:00Z'));
  });
  it('nothing missed, or no previous time: nothing to do', () => {
    expect(catchupPlan(minutely, 'all', undefined, now, 100)).toEqual({ run: [], skipped: 0 });
    expect(catchupPlan(minutely, 'all', at('2026-01-01T00:10:00Z'), now, 100)).toEqual({ run: [], skipped: 0 });
  });
  it('DST: a daily 02:30 job in Berlin missed over spring-forward counts that day once', () => {
    const daily = { schedule: '30 2 * * *', timezone: 'Europe/Berlin' };
    const plan = catchupPlan(daily, 'all', at('2026-03-27T12:00:00Z'), at('2026-03-30T12:00:00Z'), 100);
    expect(plan.run.map((t) => new Date(t).toISOString())).toEqual([
      '2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z',
    ]);
  });
  it('DST: an hourly job in New York over fall-back sees the repeated hour twice', () => {
    const hourly = { schedule: '0 * * * *', timezone: 'America/New_York' };
    const plan = catchupPlan(hourly, 'all', at('2026-11-01T04:30:00Z'), at('2026-11-01T07:30:00Z'), 100);
    expect(plan.run).toHaveLength(3); // 01:00 EDT, 01:00 EST, 02:00 EST
  });
});

describe('run ids', () => {
  it('sort by time and are safe in file names', () => {
    const a = makeRunId(at('2026-11-21T08:12:00.123Z'), () => 0.5);
    expect(a).toBe('20261121T081200Z-8000');
    expect(makeRunId(at('2026-11-21T08:12:01Z'), () => 0) > a).toBe(true);
  });
});
