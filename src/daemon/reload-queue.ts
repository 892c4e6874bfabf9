/**
 * Reloads run one at a time, and never more than one waits: every request that comes while
 * a reload is under way (a `git checkout` of twenty files makes many events, `jobctl reload`,
 * SIGHUP) shares the one reload that starts after it, so it sees the files as they are then.
 * A request never joins a reload that began before it: that one may have read the files
 * before the change it announces.
 */
export class ReloadQueue<T> {
  private running: Promise<unknown> | undefined;
  private next: Promise<T> | undefined;

  constructor(private readonly apply: () => Promise<T>) {}

  /** Run the reload now, or after the one under way (shared with every request until then). */
  request(): Promise<T> {
    if (!this.running) return this.begin();
    this.next ??= this.running.then(
      () => this.begin(),
      () => this.begin(),
    );
    return this.next;
  }

  private begin(): Promise<T> {
    this.next = undefined;
    const run = this.apply();
    this.running = run;
    const clear = () => {
      if (this.running === run) this.running = undefined;
    };
    run.then(clear, clear);
    return run;
  }
}
