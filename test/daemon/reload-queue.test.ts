import { describe, expect, it } from 'vitest';
import { ReloadQueue } from '../../src/daemon/reload-queue.js';

/** A reload that stays under way until released; counts how many began. */
function gatedReload() {
  const gates: Array<() => void> = [];
  let began = 0;
  const queue = new ReloadQueue(async () => {
    const n = ++began;
    await new Promise<void>((r) => gates.push(r));
    return n;
  });
  return { queue, gates, began: () => began };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('ReloadQueue', () => {
  it('requests made while a reload is under way share one follow-up reload', async () => {
    const { queue, gates, began } = gatedReload();
    const first = queue.request();
    await settle();
    const during = [queue.request(), queue.request(), queue.request()];
    expect(began()).toBe(1);
    gates.shift()!();
    expect(await first).toBe(1);
    await settle();
    expect(began()).toBe(2);
    gates.shift()!();
    expect(await Promise.all(during)).toEqual([2, 2, 2]);
    expect(began()).toBe(2);
  });

  it('a request after everything finished starts a reload of its own', async () => {
    const { queue, gates, began } = gatedReload();
    const a = queue.request();
    await settle();
    gates.shift()!();
    await a;
    const b = queue.request();
    await settle();
    gates.shift()!();
    expect(await b).toBe(2);
    expect(began()).toBe(2);
  });

  it('a failed reload fails its callers only; the follow-up still runs', async () => {
    let n = 0;
    const queue = new ReloadQueue(async () => {
      n++;
      await new Promise((r) => setImmediate(r));
      if (n === 1) throw new Error('bad files');
      return n;
    });
    const first = queue.request();
    const next = queue.request();
    await expect(first).rejects.toThrow('bad files');
    expect(await next).toBe(2);
  });
});
