import { describe, expect, it } from 'vitest';
import { realClock } from '../../src/runtime/clock.js';

describe('realClock', () => {
  // Node fires a setTimeout longer than 2^31-1 ms (24.8 days) after 1 ms: a task `timeout: 30d`
  // or an xxl-job executorTimeout of 3000000 s would end the run as timed out at once.
  it('a timer longer than the 32-bit limit does not fire early, and can be cleared', async () => {
    let fired = false;
    const h = realClock.setTimeout(() => (fired = true), 2 ** 31 + 1000);
    // Node fires an overlong timer after 1 ms: a 1 ms timer set after it fires after it (timers
    // of equal or shorter delay run in order), so by then the bug would have shown.
    await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 1));
    expect(fired).toBe(false);
    realClock.clearTimeout(h);
  });

  it('short timers still fire, and clearTimeout stops them', async () => {
    let a = 0;
    let b = 0;
    realClock.setTimeout(() => a++, 10);
    const h = realClock.setTimeout(() => b++, 10);
    realClock.clearTimeout(h);
    // A timer of the same delay set after them fires after them (Node runs due timers in order).
    await new Promise((r) => setTimeout(r, 10));
    expect([a, b]).toEqual([1, 0]);
  });
});
