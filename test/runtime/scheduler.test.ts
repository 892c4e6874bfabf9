import { describe, expect, it } from 'vitest';
import { Scheduler, type Firing } from '../../src/runtime/scheduler.js';
import { FakeClock } from '../helpers/fake-clock.js';

const iso = (t: number) => new Date(t).toISOString();

describe('Scheduler (one timer, fake clock)', () => {
  it('fires each registration on its second, in order, with no drift over hours', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00.500Z'));
    const fired: Array<[string, number, number]> = [];
    const s = new Scheduler({ clock, random: () => 0 });
    const on = (name: string) => (f: Firing) => f.onTime.forEach((t) => fired.push([name, t, f.firedAt]));
    s.register({ name: 'every-second', schedule: '* * * * * *', jitterMs: 0 }, on('every-second'));
    s.register({ name: 'every-10s', schedule: '*/10 * * * * *', jitterMs: 0 }, on('every-10s'));
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
    const s = new Scheduler({ clock, random: () => randoms[r++ % 3]! });
    s.register({ name: 'j', schedule: '0 * * * * *', jitterMs: 10_000 }, (f) => f.onTime.forEach((t) => delays.push(f.firedAt - t)));
    s.start();
    clock.advance(5 * 60_000 + 20_000);
    expect(delays.length).toBe(5);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(10_000);
    }
    expect(delays.slice(0, 3)).toEqual([0, 5000, 9990]);
  });

  it('a new registration replaces an old one; unregister stops it at once', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const fired: string[] = [];
    const s = new Scheduler({ clock });
    const on = (f: Firing) => f.onTime.forEach((t) => fired.push(`a@${iso(t).slice(11, 19)}`));
    const first = s.register({ name: 'a', schedule: '*/2 * * * * *', jitterMs: 0 }, on);
    s.start();
    clock.advance(4000);
    first.unregister();
    const second = s.register({ name: 'a', schedule: '*/3 * * * * *', jitterMs: 0 }, on);
    clock.advance(6000);
    second.unregister();
    second.unregister();
    clock.advance(10_000);
    expect(fired).toEqual(['a@00:00:02', 'a@00:00:04', 'a@00:00:06', 'a@00:00:09']);
    expect(s.size).toBe(0);
  });

  it('defect 2: unregister + register within one interval never fires an instant twice (no stale heap entry)', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00.100Z'));
    const fired: number[] = [];
    const s = new Scheduler({ clock });
    const entry = { name: 'w', schedule: '* * * * * *', jitterMs: 0 };
    const on = (f: Firing) => fired.push(...f.onTime);
    s.start();
    let reg = s.register(entry, on);
    // stop; start; stop; start… several times inside each second, for ten seconds
    for (let i = 0; i < 40; i++) {
      clock.advance(250);
      reg.unregister();
      reg = s.register(entry, on);
    }
    expect(new Set(fired).size).toBe(fired.length);
    expect(fired.length).toBeGreaterThanOrEqual(9);
    expect(fired.length).toBeLessThanOrEqual(10);
  });

  it('defect 13: firings missed while frozen or after a clock jump are reported as missed, not fired late', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const firings: Firing[] = [];
    const s = new Scheduler({ clock, lateMs: 5000 });
    s.register({ name: 'm', schedule: '0 * * * * *', jitterMs: 0 }, (f) => firings.push(f));
    s.start();
    // The wall clock jumps 10 minutes while the timer waits (timers fire by the monotonic clock).
    clock.jump(10 * 60_000 + 30_000);
    clock.advance(0);
    expect(firings).toHaveLength(1);
    const f = firings[0]!;
    expect(f.onTime).toEqual([]);
    expect(f.missed.total).toBe(10);
    expect(f.missed.times[0]).toBe(Date.parse('2026-01-01T00:01:00Z'));
    expect(f.missed.last).toBe(Date.parse('2026-01-01T00:10:00Z'));
    // afterwards it is back on its minute
    clock.advance(60_000);
    expect(firings.at(-1)!.onTime).toEqual([Date.parse('2026-01-01T00:11:00Z')]);
  });

  it('wakes at least every 30 s to notice wall-clock jumps', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const s = new Scheduler({ clock });
    const reg = s.register({ name: 'yearly', schedule: '@yearly', jitterMs: 0 }, () => undefined);
    s.start();
    expect(reg.next()).toBe(Date.parse('2027-01-01T00:00:00Z'));
    clock.advance(29_000);
    expect(clock.pending).toBe(1);
  });
});

describe('Scheduler: many firings due at once', () => {
  it('hands every due firing out in one pass, yielding to the event loop between slices', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00.500Z'));
    const s = new Scheduler({ clock, random: () => 0, sliceMs: 5 });
    const order: string[] = [];
    for (let i = 0; i < 20; i++) {
      s.register({ name: `t${i}`, schedule: '* * * * * *', jitterMs: 0 }, () => {
        const until = performance.now() + 2; // a handler that keeps the loop 2 ms
        while (performance.now() < until) { /* busy */ }
        order.push(`t${i}`);
      });
    }
    s.start();
    setImmediate(() => order.push('loop'));
    clock.advance(500); // all 20 are due at the same second
    expect(order.length).toBeGreaterThan(0);
    expect(order.length).toBeLessThan(20); // the first slice ended after ~5 ms
    await new Promise<void>(function wait(resolve) {
      if (order.filter((o) => o !== 'loop').length === 20) resolve();
      else setImmediate(() => wait(resolve));
    });
    // every firing was handed out once, and the loop ran between two slices
    expect(order.filter((o) => o !== 'loop').sort()).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`).sort());
    const loopAt = order.indexOf('loop');
    expect(loopAt).toBeGreaterThan(0);
    expect(loopAt).toBeLessThan(order.length - 1);
    s.stop();
  });
});
