import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/runtime/scheduler.js';
import { FakeClock } from '../helpers/fake-clock.js';

const iso = (t: number) => new Date(t).toISOString();

describe('Scheduler (one timer, fake clock)', () => {
  it('fires each task on its second, in order, with no drift over hours', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00.500Z'));
    const fired: Array<[string, number, number]> = [];
    const s = new Scheduler((name, scheduledAt, firedAt) => fired.push([name, scheduledAt, firedAt]), clock, () => 0);
    s.set({ name: 'every-second', schedule: '* * * * * *', jitterMs: 0 });
    s.set({ name: 'every-10s', schedule: '*/10 * * * * *', jitterMs: 0 });
    s.start();
    clock.advance(3 * 3600 * 1000);
    const sec = fired.filter((f) => f[0] === 'every-second');
    expect(sec).toHaveLength(3 * 3600);
    expect(sec.every(([, sched, at]) => at === sched)).toBe(true);
    expect(iso(sec.at(-1)![1])).toBe('2026-01-01T03:00:00.000Z');
    expect(fired.filter((f) => f[0] === 'every-10s')).toHaveLength(3 * 360);
    // one timer at a time, whatever the number of tasks
    expect(clock.pending).toBe(1);
    s.stop();
    s.stop();
    expect(clock.pending).toBe(0);
  });

  it('jitter delays a firing by 0..jitter and keeps the cron time', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const delays: number[] = [];
    let r = 0;
    const randoms = [0, 0.5, 0.999];
    const s = new Scheduler((_n, scheduledAt, firedAt) => delays.push(firedAt - scheduledAt), clock, () => randoms[r++ % 3]!);
    s.set({ name: 'j', schedule: '0 * * * * *', jitterMs: 10_000 });
    s.start();
    clock.advance(5 * 60_000 + 20_000);
    expect(delays.length).toBe(5);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(10_000);
    }
    expect(delays.slice(0, 3)).toEqual([0, 5000, 9990]);
  });

  it('set() replaces a schedule; delete() removes it; a stalled loop skips rather than bursts', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const fired: string[] = [];
    const s = new Scheduler((name, t) => fired.push(`${name}@${iso(t).slice(11, 19)}`), clock);
    s.set({ name: 'a', schedule: '*/2 * * * * *', jitterMs: 0 });
    s.start();
    clock.advance(4000);
    s.set({ name: 'a', schedule: '*/3 * * * * *', jitterMs: 0 });
    clock.advance(6000);
    s.delete('a');
    clock.advance(10_000);
    expect(fired).toEqual(['a@00:00:02', 'a@00:00:04', 'a@00:00:06', 'a@00:00:09']);
    expect(s.size).toBe(0);
  });

  it('wakes at least every 30 s to notice wall-clock jumps', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const s = new Scheduler(() => undefined, clock);
    s.set({ name: 'yearly', schedule: '@yearly', jitterMs: 0 });
    s.start();
    expect(s.next('yearly')).toBe(Date.parse('2027-01-01T00:00:00Z'));
    clock.advance(29_000);
    expect(clock.pending).toBe(1);
  });
});
