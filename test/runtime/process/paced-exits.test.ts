import { describe, expect, it } from 'vitest';
import { askedBeforeBurst, hold } from '../../helpers/loop-probe.js';
import { PacedExits } from '../../../src/runtime/process/paced-exits.js';

describe('paced exits (what follows an instance exit)', () => {
  it('give the loop back between slices: a socket is answered in the middle of a batch of exits', async () => {
    const paced = new PacedExits(10);
    let done = 0;
    const { answer, close } = await askedBeforeBurst(() => done);
    try {
      // 40 exits of 5 ms each (async work that ends in microtasks), out of one batch of records.
      const order: number[] = [];
      const exits = Array.from({ length: 40 }, (_, i) => paced.run(async () => {
        await Promise.resolve();
        hold(5);
        order.push(i);
        done++;
      }));
      expect(paced.waiting).toBe(40);
      const answeredAt = await answer;
      await Promise.all(exits);
      expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i)); // all ran, in order
      expect(answeredAt).toBeLessThan(40);
      expect(paced.waiting).toBe(0);
    } finally {
      close();
    }
  });

  it('go on with the next exits while one waits for I/O, and reject with what one throws', async () => {
    const paced = new PacedExits(10);
    let release!: () => void;
    const slow = paced.run(() => new Promise<void>((r) => (release = r)));
    const bad = paced.run(async () => {
      throw new Error('clearing the box failed');
    });
    const fast = paced.run(async () => undefined);
    await expect(bad).rejects.toThrow('clearing the box failed');
    await fast;
    release();
    await slow;
    expect(paced.waiting).toBe(0);
  });

  it('run a crash (urgent) before the exits of stops queued ahead of it', async () => {
    const paced = new PacedExits(10);
    const order: string[] = [];
    const stops = Array.from({ length: 20 }, (_, i) => paced.run(async () => {
      hold(2);
      order.push(`stop ${i}`);
    }));
    const crash = paced.run(async () => {
      order.push('crash');
    }, true);
    await crash;
    expect(order.indexOf('crash')).toBeLessThanOrEqual(1); // at most the exit under way when it came
    await Promise.all(stops);
    expect(order.filter((x) => x !== 'crash')).toEqual(Array.from({ length: 20 }, (_, i) => `stop ${i}`));
    expect(paced.waiting).toBe(0);
  });
});
