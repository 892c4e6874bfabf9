import { describe, expect, it } from 'vitest';
import { parseBacklog, scaleStep, scaleTarget } from '../../src/core/scale-policy.js';

describe('scale policy', () => {
  const b = { min: 1, max: 8, perInstance: 100 };
  it('target = clamp(ceil(backlog / per_instance), min, max)', () => {
    expect([0, 1, 100, 101, 250, 10_000, -5].map((n) => scaleTarget(n, b))).toEqual([1, 1, 1, 2, 3, 8, 1]);
    expect(scaleTarget(0, { min: 0, max: 3, perInstance: 1 })).toBe(0);
  });

  it('scales up at once and down only after the cooldown, to the highest target seen meanwhile', () => {
    let s = scaleStep(1, 6, {}, 0, 60_000);
    expect(s.count).toBe(6);
    s = scaleStep(6, 2, s.memory, 1000, 60_000);
    expect(s).toEqual({ count: 6, memory: { belowSince: 1000, highestBelow: 2 } });
    s = scaleStep(6, 4, s.memory, 30_000, 60_000);
    expect(s.count).toBe(6);
    s = scaleStep(6, 1, s.memory, 61_000, 60_000);
    expect(s).toEqual({ count: 4, memory: {} });
    // back at target: the cooldown starts over
    s = scaleStep(4, 2, {}, 0, 60_000);
    s = scaleStep(4, 4, s.memory, 30_000, 60_000);
    expect(s).toEqual({ count: 4, memory: {} });
  });

  it('reads the first number a probe prints', () => {
    expect(parseBacklog('(integer) 42\n')).toBe(42);
    expect(parseBacklog('  1500 ')).toBe(1500);
    expect(parseBacklog('empty')).toBeUndefined();
  });
});
