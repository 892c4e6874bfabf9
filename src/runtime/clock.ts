/** Time and timers, injectable so tests can drive them. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's longest timer (2^31-1 ms, 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer of any length: longer than MAX_TIMER_MS, it is re-armed in steps until the time is reached. */
interface LongTimer {
  t: NodeJS.Timeout;
}

function longTimeout(fn: () => void, ms: number): LongTimer {
  const due = Date.now() + Math.max(0, ms);
  const h: LongTimer = { t: undefined as unknown as NodeJS.Timeout };
  const arm = () => {
    const left = due - Date.now();
    h.t = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return h;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => longTimeout(fn, ms),
  clearTimeout: (h) => {
    if (h !== undefined && h !== null) clearTimeout((h as LongTimer).t);
  },
};
