import type { JobctlClient } from '../../api/client.js';
import { tagInstance } from '../../shared/log-line.js';
import type { PushMessage } from '../../shared/protocol.js';

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
 * cursor, or the busiest), followed over the same connection; switching tasks ends the
 * previous subscription.
 */
export class TopLogPane {
  private task: string | undefined;
  private client: JobctlClient | undefined;
  private sub: number | undefined;
  /** The unfinished last line of each instance's stream. */
  private partial = new Map<number | undefined, string>();
  private generation = 0;

  constructor(private readonly sink: LogSink, private readonly lines = 50) {}

  /** Follow `task`'s log over `client` (no-op when that is already so). */
  show(client: JobctlClient, task: string | undefined): void {
    if (client === this.client && task === this.task) return;
    this.stop();
    this.client = client;
    this.task = task;
    if (!task) {
      this.sink.setLabel(' log ');
      this.sink.reset([]);
      return;
    }
    const generation = ++this.generation;
    this.sink.setLabel(` log: ${task} `);
    this.sink.reset([]);
    client.on('push', this.onPush);
    client.call('logs', { task, lines: this.lines, follow: true }).then((r) => {
      if (generation !== this.generation) {
        if (r.subscription !== undefined) client.call('unsubscribe', { subscription: r.subscription }).catch(() => undefined);
        return;
      }
      this.sub = r.subscription;
      this.sink.reset(r.lines.map(shortTime));
    }, (e: Error) => generation === this.generation && this.sink.reset([`cannot read the log of ${task}: ${e.message}`]));
  }

  /** End the subscription (the connection is closing, or another task is shown). */
  stop(): void {
    this.generation++;
    this.client?.off('push', this.onPush);
    if (this.sub !== undefined && this.client && !this.client.closed) this.client.call('unsubscribe', { subscription: this.sub }).catch(() => undefined);
    this.sub = undefined;
    this.partial = new Map();
    this.client = undefined;
    this.task = undefined;
  }

  private readonly onPush = (m: PushMessage): void => {
    if (m.event !== 'log' || m.data.subscription !== this.sub) return;
    const parts = ((this.partial.get(m.data.instance) ?? '') + m.data.text).split('\n');
    this.partial.set(m.data.instance, parts.pop() ?? '');
    for (const l of parts) this.sink.log(shortTime(m.data.instance === undefined ? l : tagInstance(l, m.data.instance)));
  };
}
