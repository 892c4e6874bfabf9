import { describe, expect, it } from 'vitest';
import { claimKey, claimTtlMs } from '../../../src/fleet-lock/core/fleet-claim.js';

describe('once-per-fleet claims', () => {
  it('one key per task and scheduled instant', () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5);
    expect(claimKey('report', at)).toBe('jobctl:once:report:2026-01-02T03:04:05.000Z');
    expect(claimKey('report', at)).not.toBe(claimKey('report', at + 1000));
    expect(claimKey('report', at)).not.toBe(claimKey('other', at));
  });
  it('the claim outlives every catch-up that could ask for it, within 10 min..7 days', () => {
    expect(claimTtlMs(1000, 100)).toBe(10 * 60_000);
    expect(claimTtlMs(60_000, 100)).toBe(101 * 60_000);
    expect(claimTtlMs(86_400_000, 100)).toBe(7 * 86_400_000);
    expect(claimTtlMs(Number.NaN, 100)).toBe(7 * 86_400_000);
  });
});
