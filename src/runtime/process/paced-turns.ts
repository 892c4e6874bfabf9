/**
 * Work that holds the event loop while it runs, done in turns: at most `sliceMs` of it per turn
 * of the loop, then the loop serves the socket and the exits before the next. Two kinds use it:
 * - starts through `child_process.spawn` (libuv forks the daemon and waits for the child's exec,
 *   5–50 ms on a busy 2-core host). Without pacing, a burst of firings whose starts come out of
 *   promise callbacks (one after its box is taken) ran back to back in one microtask queue: 100
 *   firings held the loop for seconds and `status` got no answer (the native spawner's starts
 *   cost the loop a fraction of a millisecond and do not need it);
 * - the stops of many instances (service-runner.ts: a task stopped, restarted or removed, a count
 *   lowered): 1,000 of them in one phase held the loop ~470 ms (the signals, the boxes' writes).
 */
export class PacedTurns {
  private readonly queue: Array<() => void> = [];
  private head = 0;
  private scheduled = false;

  constructor(
    /** Loop time one turn may give to this work; the first piece of a turn always goes. @default 10 */
    private readonly sliceMs = 10,
    // The global `performance`: Node loads node:perf_hooks on its first use, not at start (issue 28).
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Run `start` in its turn; resolves with what it returns (a promise: with what it settles to), rejects with what it throws. */
  run<T>(start: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try {
          resolve(start());
        } catch (e) {
          reject(e);
        }
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.turn());
      }
    });
  }

  /** Pieces waiting for their turn. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  private turn(): void {
    const t0 = this.now();
    do this.queue[this.head++]!();
    while (this.head < this.queue.length && this.now() - t0 < this.sliceMs);
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.scheduled = false;
    } else setImmediate(() => this.turn());
  }
}
