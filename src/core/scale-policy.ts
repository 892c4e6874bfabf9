/**
 * Backlog-driven scaling, pure: target = clamp(ceil(backlog / per_instance), min, max).
 * Up at once; down only after the target stayed below the current count for `cooldown`,
 * and then to the highest target seen in that time.
 */

export interface ScaleBounds {
  min: number;
  max: number;
  perInstance: number;
}

export function scaleTarget(backlog: number, b: ScaleBounds): number {
  const want = Math.ceil(Math.max(0, backlog) / b.perInstance);
  return Math.min(b.max, Math.max(b.min, want));
}

export interface ScaleMemory {
  /** Since when the target has been below the current count. */
  belowSince?: number;
  /** The highest target seen since then. */
  highestBelow?: number;
}

export interface ScaleStep {
  count: number;
  memory: ScaleMemory;
}

export function scaleStep(current: number, target: number, memory: ScaleMemory, now: number, cooldownMs: number): ScaleStep {
  if (target > current) return { count: target, memory: {} };
  if (target === current) return { count: current, memory: {} };
  const belowSince = memory.belowSince ?? now;
  const highestBelow = Math.max(memory.highestBelow ?? target, target);
  if (now - belowSince >= cooldownMs) return { count: highestBelow, memory: {} };
  return { count: current, memory: { belowSince, highestBelow } };
}

/** The first number a probe printed, or undefined. */
export function parseBacklog(output: string): number | undefined {
  const m = /-?\d+(?:\.\d+)?/.exec(output);
  if (!m) return undefined;
  const n = Number(m[0]);
  return Number.isFinite(n) ? n : undefined;
}
