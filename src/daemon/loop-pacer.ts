/**
 * Bulk work (a reload of a thousand tasks, the first start of them all) shares the event
 * loop with everything else: the socket must answer meanwhile (DESIGN.md "The hot path").
 * A pacer runs one unit per item, starting units only from a loop turn of their own
 * (setImmediate, after the poll phase has served sockets and exits) and only while a turn
 * has used less than `sliceMs`. Units may go on asynchronously (a task stopping); at most
 * `limit` are under way, and the limit follows the loop: it grows by one per unit done and
 * halves (down to `min`) when a turn comes later than `targetLagMs` (AIMD), so the work the
 * units cause later (exits, restarts) cannot pile up into one long turn either.
 */

export interface PacerOptions {
  /** A turn starts units until it has used this long. @default 8 */
  sliceMs?: number;
  /** A loop turn that comes later than this halves the number of units under way. @default 25 */
  targetLagMs?: number;
  /** Units under way at first. @default 64 */
  initial?: number;
  /** Never fewer than this many under way: on a busy host the loop is late for others' work too. @default 32 */
  min?: number;
  /** Never more than this many under way. @default 256 */
  max?: number;
  now?: () => number;
}

/** What a unit threw, with its item: one failing unit never holds the others back. */
export interface PacedFailure<T> {
  item: T;
  error: unknown;
}

export class LoopPacer {
  private readonly sliceMs: number;
  private readonly targetLagMs: number;
  private readonly max: number;
  private readonly min: number;
  private readonly now: () => number;
  /** Units allowed under way now (adapted as the loop answers). */
  limit: number;

  constructor(opts: PacerOptions = {}) {
    this.sliceMs = opts.sliceMs ?? 8;
    this.targetLagMs = opts.targetLagMs ?? 25;
    this.max = opts.max ?? 256;
    this.min = Math.min(this.max, opts.min ?? 32);
    this.limit = Math.max(this.min, Math.min(this.max, opts.initial ?? 64));
    this.now = opts.now ?? (() => performance.now());
  }

  /** Run `unit` for each item (in order of start); resolves when every unit is done, with the failures. */
  run<T>(items: readonly T[], unit: (item: T) => Promise<void> | void): Promise<Array<PacedFailure<T>>> {
    const failures: Array<PacedFailure<T>> = [];
    if (items.length === 0) return Promise.resolve(failures);
    return new Promise((resolve) => {
      let next = 0;
      let underWay = 0;
      let scheduled = false;
      let asked = 0;
      const settle = () => {
        underWay--;
        if (this.limit < this.max) this.limit++;
        if (next >= items.length && underWay === 0) resolve(failures);
        else schedule();
      };
      const turn = () => {
        scheduled = false;
        const start = this.now();
        // How long the loop took to come back: what a socket request waited meanwhile.
        if (start - asked > this.targetLagMs) this.limit = Math.max(this.min, Math.floor(this.limit / 2));
        // At least one unit per turn, then more while the turn is short.
        for (let first = true; next < items.length && underWay < this.limit && (first || this.now() - start < this.sliceMs); first = false) {
          const item = items[next++]!;
          underWay++;
          let done: Promise<void> | void;
          try {
            done = unit(item);
          } catch (error) {
            done = Promise.reject(error);
          }
          Promise.resolve(done).catch((error: unknown) => void failures.push({ item, error })).finally(settle);
        }
        if (next < items.length && underWay < this.limit) schedule();
      };
      const schedule = () => {
        if (scheduled || next >= items.length) return;
        scheduled = true;
        asked = this.now();
        setImmediate(turn);
      };
      schedule();
    });
  }
}
