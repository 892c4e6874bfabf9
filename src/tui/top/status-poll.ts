import { errorMessage } from '../../shared/errors.js';
import type { StatusResult } from '../../shared/protocol.js';
import type { ConnectionState } from '../backend.js';
import type { TopModel } from './model.js';

export interface StatusPollSink {
  /** A status taken, and the task events since the previous one (lines for the events pane). */
  shown(status: StatusResult, events: string[]): void;
  /** A poll failed: why, for the events pane. */
  failed(message: string): void;
}

/**
 * `top`'s status polls and the task events they show (what changed between two polls). One
 * poll at a time (over ssh an answer can take longer than the interval). A disconnect starts a
 * new connection's history: the previous snapshot is forgotten at once and a poll asked before
 * it is dropped, so what changed while the daemon was out of reach is not shown as task events
 * (the daemon's own events, read again on the reconnect, say it once).
 */
export class StatusPoll {
  private busy = false;
  /** One per connection: a poll's answer is used only in the connection that asked it. */
  private generation = 0;

  constructor(
    private readonly backend: { readonly connection: ConnectionState; status(): Promise<StatusResult> },
    private readonly model: TopModel,
    private readonly sink: StatusPollSink,
  ) {}

  disconnected(): void {
    this.generation++;
    this.model.reset();
  }

  async refresh(): Promise<void> {
    if (this.busy || this.backend.connection !== 'connected') return;
    this.busy = true;
    const generation = this.generation;
    try {
      const status = await this.backend.status();
      if (generation !== this.generation) return;
      this.sink.shown(status, this.model.update(status));
    } catch (e) {
      if (generation === this.generation) this.sink.failed(`no status: ${errorMessage(e)}`);
    } finally {
      this.busy = false;
    }
  }
}
