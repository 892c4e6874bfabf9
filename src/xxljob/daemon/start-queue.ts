/**
 * Starts runs one per event-loop turn (setImmediate), so the answers to `/run` requests that
 * arrive meanwhile are written between two starts instead of after a whole batch of spawns:
 * a trigger is answered once it is validated and queued, never after a process started.
 */
export class StartQueue {
  private readonly items: Array<() => void> = [];
  private scheduled = false;
  private closed = false;

  push(start: () => void): void {
    if (this.closed) return;
    this.items.push(start);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.items.length === 0 || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed) return;
      this.items.shift()?.();
      this.schedule();
    });
  }

  /** Start nothing more. */
  close(): void {
    this.closed = true;
    this.items.length = 0;
  }
}
