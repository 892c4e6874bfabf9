import { describe, expect, it } from 'vitest';
import { askedBeforeBurst, hold } from '../../helpers/loop-probe.js';
import { PacedTurns } from '../../../src/runtime/process/paced-turns.js';

describe('paced starts (the child_process spawner)', () => {
  it('give the loop back between slices: a socket is answered in the middle of a burst', async () => {
    const paced = new PacedTurns(10);
    let done = 0;
    const { answer, close } = await askedBeforeBurst(() => done);
    try {
      // 40 starts of 5 ms each come out of one microtask queue, as a burst of firings does.
      const starts = Array.from({ length: 40 }, (_, i) => paced.run(() => {
        hold(5);
        done++;
        return i;
      }));
      expect(paced.waiting).toBe(40);
      const answeredAt = await answer;
      expect(await Promise.all(starts)).toEqual(Array.from({ length: 40 }, (_, i) => i)); // all ran, in order
      expect(answeredAt).toBeLessThan(40);
      expect(paced.waiting).toBe(0);
    } finally {
      close();
    }
  });

  it('reject with what a start throws, and go on with the next', async () => {
    const paced = new PacedTurns(10);
    const bad = paced.run(() => {
      throw new Error('cwd /nope does not exist');
    });
    const good = paced.run(() => 7);
    await expect(bad).rejects.toThrow('cwd /nope does not exist');
    expect(await good).toBe(7);
  });

  it('run the first start of a turn whatever its cost, and a start asked after a burst in the next turn', async () => {
    const paced = new PacedTurns(0);
    const order: string[] = [];
    const a = paced.run(() => order.push('a'));
    const b = paced.run(() => order.push('b'));
    setImmediate(() => order.push('between'));
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'between', 'b']);
    await paced.run(() => order.push('c'));
    expect(order.at(-1)).toBe('c');
  });
});
