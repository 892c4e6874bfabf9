import { describe, expect, it } from 'vitest';
import { LoopPacer } from '../../src/daemon/loop-pacer.js';

const immediate = () => new Promise<void>((r) => setImmediate(r));

describe('LoopPacer', () => {
  it('runs every unit once, in order of start, and resolves when all are done', async () => {
    const started: number[] = [];
    const failures = await new LoopPacer().run([1, 2, 3, 4, 5], async (n) => {
      started.push(n);
      await immediate();
    });
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(failures).toEqual([]);
  });

  it('keeps at most `limit` units under way', async () => {
    let underWay = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const pacer = new LoopPacer({ initial: 2, min: 2, max: 2 });
    const all = pacer.run(Array.from({ length: 7 }, (_, i) => i), () => {
      underWay++;
      most = Math.max(most, underWay);
      return new Promise<void>((r) => releases.push(() => {
        underWay--;
        r();
      }));
    });
    let done = 0;
    while (done < 7) {
      // Wait until a unit is waiting to be released, then release it.
      while (releases.length === 0) await immediate();
      releases.shift()!();
      done++;
    }
    await all;
    expect(most).toBe(2);
  });

  it('leaves the loop between slices: a timer set before the run fires before the last of many slow units', async () => {
    let clock = 0;
    const order: string[] = [];
    const pacer = new LoopPacer({ sliceMs: 5, now: () => clock });
    const timer = new Promise<void>((r) => setTimeout(() => {
      order.push('timer');
      r();
    }, 0));
    // Each unit "uses" 10 ms of the fake clock: one unit per turn.
    const run = pacer.run(Array.from({ length: 200 }, (_, i) => i), (i) => {
      clock += 10;
      order.push(`u${i}`);
    });
    await Promise.all([timer, run]);
    expect(order.indexOf('timer')).toBeGreaterThan(-1);
    expect(order.indexOf('timer')).toBeLessThan(order.indexOf('u199'));
  });

  it('collects failures (thrown or rejected) with their item, and still runs the rest', async () => {
    const ran: string[] = [];
    const failures = await new LoopPacer().run(['a', 'b', 'c', 'd'], async (x) => {
      ran.push(x);
      if (x === 'b') throw new Error('bad b');
      if (x === 'c') await Promise.reject(new Error('bad c'));
    });
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
    expect(failures.map((f) => [f.item, (f.error as Error).message])).toEqual([['b', 'bad b'], ['c', 'bad c']]);
  });

  it('halves the units under way (not below min) when the loop comes back late, and grows again as units finish', async () => {
    let clock = 0;
    let step = 100;
    // Each reading of the clock is `step` ms after the last: every turn comes 100 ms late.
    const pacer = new LoopPacer({ initial: 32, min: 4, max: 64, targetLagMs: 25, now: () => (clock += step) });
    await pacer.run([1, 2, 3, 4, 5, 6], () => undefined);
    expect(pacer.limit).toBeLessThan(32);
    expect(pacer.limit).toBeGreaterThanOrEqual(4);
    // Many late turns never take it below min.
    await pacer.run(Array.from({ length: 40 }, (_, i) => i), () => undefined);
    expect(pacer.limit).toBeGreaterThanOrEqual(4);
    // A loop that answers at once: the limit grows by one per unit done.
    step = 0;
    const low = pacer.limit;
    await pacer.run([1, 2, 3], () => undefined);
    expect(pacer.limit).toBe(low + 3);
  });

  it('an empty list resolves at once', async () => {
    expect(await new LoopPacer().run([], () => undefined)).toEqual([]);
  });
});
