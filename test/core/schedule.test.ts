import { describe, expect, it } from 'vitest';
import { firingsBetween, jitterDelay, nextRunAt, nextRuns } from '../../src/core/schedule.js';

const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());
const at = (s: string) => Date.parse(s);

describe('schedule math (croner, Vixie-cron DST semantics)', () => {
  it('second precision: six fields with seconds first', () => {
    expect(iso(nextRuns({ schedule: '*/10 * * * * *' }, at('2026-01-01T00:00:03Z'), 3))).toEqual([
      '2026-01-01T00:00:10.000Z', '2026-01-01T00:00:20.000Z', '2026-01-01T00:00:30.000Z',
    ]);
  });

  it('strictly after: a firing at `after` itself is not returned', () => {
    expect(nextRunAt({ schedule: '0 * * * *', timezone: 'UTC' }, at('2026-01-01T05:00:00Z'))).toBe(at('2026-01-01T06:00:00Z'));
  });

  it('Europe/Berlin spring forward: 02:30 does not exist, runs once at 03:00 CEST', () => {
    const runs = iso(nextRuns({ schedule: '30 2 * * *', timezone: 'Europe/Berlin' }, at('2026-03-28T12:00:00Z'), 3));
    expect(runs).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  });

  it('Europe/Berlin fall back: 02:30 happens twice, a fixed-time job runs once (first occurrence)', () => {
    const runs = iso(nextRuns({ schedule: '30 2 * * *', timezone: 'Europe/Berlin' }, at('2026-10-24T12:00:00Z'), 2));
    expect(runs).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('America/New_York fall back: 01:30 happens twice, a fixed-time job runs once (01:30 EDT)', () => {
    const runs = iso(nextRuns({ schedule: '30 1 * * *', timezone: 'America/New_York' }, at('2026-10-31T12:00:00Z'), 2));
    expect(runs).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('America/New_York spring forward: 02:30 does not exist, runs at 03:00 EDT', () => {
    const runs = iso(nextRuns({ schedule: '30 2 * * *', timezone: 'America/New_York' }, at('2026-03-07T12:00:00Z'), 2));
    expect(runs).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('an interval job runs in both passes of the repeated hour (Berlin fall back)', () => {
    const runs = iso(nextRuns({ schedule: '0,30 * * * *', timezone: 'Europe/Berlin' }, at('2026-10-24T23:50:00Z'), 5));
    // 02:00 CEST, 02:30 CEST, 02:00 CET, 02:30 CET, 03:00 CET
    expect(runs).toEqual([
      '2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z',
    ]);
  });

  it('an interval job skips the missing hour (Berlin spring forward)', () => {
    const runs = iso(nextRuns({ schedule: '*/30 * * * *', timezone: 'Europe/Berlin' }, at('2026-03-29T00:10:00Z'), 3));
    // 01:30 CET, then 03:00 CEST (02:xx does not exist), 03:30 CEST
    expect(runs).toEqual(['2026-03-29T00:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T01:30:00.000Z']);
  });

  it('nicknames', () => {
    expect(nextRunAt({ schedule: '@daily', timezone: 'UTC' }, at('2026-05-05T10:00:00Z'))).toBe(at('2026-05-06T00:00:00Z'));
  });

  it('firingsBetween counts missed firings and caps the list', () => {
    const r = firingsBetween({ schedule: '* * * * *', timezone: 'UTC' }, at('2026-01-01T00:00:00Z'), at('2026-01-01T03:00:00Z'), 100);
    expect(r.total).toBe(180);
    expect(r.times).toHaveLength(100);
    expect(new Date(r.times[0]!).toISOString()).toBe('2026-01-01T00:01:00.000Z');
    expect(firingsBetween({ schedule: '0 0 * * *' }, at('2026-01-01T01:00:00Z'), at('2026-01-01T02:00:00Z'), 100).total).toBe(0);
  });

  it('jitter stays within [0, jitter]', () => {
    expect(jitterDelay(0, () => 0.99)).toBe(0);
    expect(jitterDelay(1000, () => 0)).toBe(0);
    expect(jitterDelay(1000, () => 0.999999)).toBe(1000);
    for (let i = 0; i < 1000; i++) {
      const d = jitterDelay(500, Math.random);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(500);
    }
  });
});
