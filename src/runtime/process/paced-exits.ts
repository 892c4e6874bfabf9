/**
 * What an exit changes once its box is settled — the exit counts, the restart, the
 * replacement's start — goes one exit after another, at most `sliceMs` of them per turn of
 * the loop. Exits come in batches (the native spawner's records, a burst of pipe ends): a
 * reload that stopped 1,000 tasks had each batch restart every exit in one turn, hundreds of
 * milliseconds in which `status` got no answer. An exit's work mostly ends within the turn
 * (the start's hand-over is synchronous); one that waits for I/O goes on by itself while the
 * next exits are handled.
 */
export class PacedExits {
  private readonly queue: Array<() => Promise<void>> = [];
  private head = 0;
  private scheduled = false;

  constructor(
    /** Loop time one turn may give to exits; the first exit of a turn always goes. @default 5 */
    private readonly sliceMs = 5,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Run `work` in its turn; resolves when it is done (rejects with what it throws). */
  run(work: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push(() => {
        const done = Promise.resolve().then(work);
        done.then(resolve, reject);
        return done;
      });
      this.schedule();
    });
  }

  /** Exits waiting for their turn. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.turn());
  }

  private async turn(): Promise<void> {
    let t0 = this.now();
    while (this.head < this.queue.length) {
      const done = this.queue[this.head++]!();
      // Wait for it while it ends within this turn's microtasks. One that waits for I/O goes on
      // by itself; we are in the next turn then, and its slice begins.
      if (!(await endsThisTurn(done))) t0 = this.now();
      else if (this.now() - t0 >= this.sliceMs) {
        await new Promise((r) => setImmediate(r));
        t0 = this.now();
      }
    }
    this.queue.length = 0;
    this.head = 0;
    this.scheduled = false;
  }
}

/** Whether `p` settles before the loop's next check phase (its microtasks only, no I/O). */
function endsThisTurn(p: Promise<unknown>): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const later = setImmediate(() => resolve(false));
    p.then(() => {
      clearImmediate(later);
      resolve(true);
    }, () => {
      clearImmediate(later);
      resolve(true);
    });
  });
}

/** The daemon's one queue: every instance's exits share the loop's turns. */
export const instanceExits = new PacedExits();
