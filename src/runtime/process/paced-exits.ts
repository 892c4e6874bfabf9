/**
 * What an exit changes once its box is settled — the exit counts, the restart, the
 * replacement's start — goes one exit after another, at most `sliceMs` of them per turn of
 * the loop. Exits come in batches (the native spawner's records, a burst of pipe ends): a
 * reload that stopped 1,000 tasks had each batch restart every exit in one turn, hundreds of
 * milliseconds in which `status` got no answer. An exit's work mostly ends within the turn
 * (the start's hand-over is synchronous); one that waits for I/O goes on by itself while the
 * next exits are handled.
 *
 * Two lanes: an exit nobody asked for (a crash: its replacement is waited for) goes before the
 * exits of stops (a reload or `down` ending 1,000 instances), which are bookkeeping that can
 * wait (issue 28: a crashed worker is replaced in one pass of the loop, burst or not).
 */
type Job = () => Promise<void>;

interface Lane {
  jobs: Job[];
  head: number;
}

export class PacedExits {
  /** [urgent, the rest] */
  private readonly lanes: [Lane, Lane] = [{ jobs: [], head: 0 }, { jobs: [], head: 0 }];
  private scheduled = false;

  constructor(
    /** Loop time one turn may give to exits; the first exit of a turn always goes. @default 5 */
    private readonly sliceMs = 5,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Run `work` in its turn; resolves when it is done (rejects with what it throws). `urgent`
   * (a crash) goes before every exit that is not.
   */
  run(work: () => Promise<void>, urgent = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.lanes[urgent ? 0 : 1].jobs.push(() => {
        const done = Promise.resolve().then(work);
        done.then(resolve, reject);
        return done;
      });
      this.schedule();
    });
  }

  /** Exits waiting for their turn. */
  get waiting(): number {
    return this.lanes.reduce((n, l) => n + l.jobs.length - l.head, 0);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.turn());
  }

  /** The next exit, urgent ones first; an emptied lane is reset. */
  private next(): Job | undefined {
    for (const lane of this.lanes) {
      if (lane.head < lane.jobs.length) return lane.jobs[lane.head++];
      lane.jobs.length = 0;
      lane.head = 0;
    }
    return undefined;
  }

  private async turn(): Promise<void> {
    let t0 = this.now();
    for (let job = this.next(); job; job = this.next()) {
      const done = job();
      // Wait for it while it ends within this turn's microtasks. One that waits for I/O goes on
      // by itself; we are in the next turn then, and its slice begins.
      if (!(await endsThisTurn(done))) t0 = this.now();
      else if (this.now() - t0 >= this.sliceMs) {
        await new Promise((r) => setImmediate(r));
        t0 = this.now();
      }
    }
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
