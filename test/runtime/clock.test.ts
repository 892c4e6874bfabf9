import { describe, expect, it } from 'vitest';
import { realClock } from '../../src/runtime/clock.js';

describe('realClock', () => {
  // Node fires a setTimeout longer than 2^31-1 ms (24.8 days) after 1 ms: a task `timeout: 30d`
  // or an xxl-job executorTimeout of 3000000 s would end the run as timed out at once.
  it('a timer longer than the 32-bit limit does not fire early, and can be cleared', async () => {
    let fired = false;
    const h = realClock.setTimeout(() => (fired = true), 2 ** 31 + 1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(fired).toBe(false);
    realClock.clearTimeout(h);
  });

  it('short timers still fire, and clearTimeout stops them', async () => {
    let a = 0;
    let b = 0;
    realClock.setTimeout(() => a++, 10);
    const h = realClock.setTimeout(() => b++, 10);
    realClock.clearTimeout(h);
    await new Promise((r) => setTimeout(r, 80));
    expect([a, b]).toEqual([1, 0]);
  });
});
