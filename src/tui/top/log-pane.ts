import { tagInstance } from '../../shared/log-line.js';
import type { TuiBackend } from '../backend.js';

/** A line's leading timestamp as the time of day (`07:07:54 #0 [out] …`): the pane is narrow. */
export function shortTime(line: string): string {
  return line.replace(/^\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)(?:\.\d+)?Z /, '$1 ');
}

/** What the pane writes to: a blessed-contrib log (a list that keeps its last lines). */
export interface LogSink {
  setLabel(text: string): void;
  /** Replace every line. */
  reset(lines: string[]): void;
  log(line: string): void;
}

/**
 * `jobctl top`'s log pane, as in `pm2 monit`: the live log of one task (the one under the
 * cursor, or the busiest), followed through the backend (follow/unfollow, 'log' events);
 * switching tasks ends the previous subscription.
 */
export class TopLogPane {
  private task: string | undefined;
  private following = false;
  private sub: number | undefined;
  /** The unfinished last line of each instance's stream. */
  private partial = new Map<number | undefined, string>();
  private generation = 0;

  constructor(private readonly sink: LogSink, private readonly backend: Pick<TuiBackend, 'follow' | 'unfollow' | 'on' | 'off'>, private readonly lines = 50) {}

  /** Follow `task`'s log (no-op when that is already so). */
  show(task: string | undefined): void {
    if (this.following && task === this.task) return;
    this.stop();
    this.following = true;
    this.task = task;
    if (!task) {
      this.sink.setLabel(' log ');
      this.sink.reset([]);
      return;
    }
    const generation = ++this.generation;
    this.sink.setLabel(` log: ${task} `);
    this.sink.reset([]);
    this.backend.on('log', this.onLog);
    this.backend.follow({ task }, this.lines).then((r) => {
      if (generation !== this.generation) {
        if (r.subscription !== undefined) this.backend.unfollow(r.subscription);
        return;
      }
      this.sub = r.subscription;
      this.sink.reset(r.lines.map(shortTime));
    }, (e: Error) => generation === this.generation && this.sink.reset([`cannot read the log of ${task}: ${e.message}`]));
  }

  /** End the subscription (the connection is closing, or another task is shown). */
  stop(): void {
    this.generation++;
    this.backend.off('log', this.onLog);
    if (this.sub !== undefined) this.backend.unfollow(this.sub);
    this.sub = undefined;
    this.partial = new Map();
    this.following = false;
    this.task = undefined;
  }

  private readonly onLog = (m: { subscription: number; text: string; instance?: number }): void => {
    if (m.subscription !== this.sub) return;
    const parts = ((this.partial.get(m.instance) ?? '') + m.text).split('\n');
    this.partial.set(m.instance, parts.pop() ?? '');
    for (const l of parts) this.sink.log(shortTime(m.instance === undefined ? l : tagInstance(l, m.instance)));
  };
}
