import { EventEmitter } from 'node:events';
import type { JobctlClient } from '../api/client.js';
import { subscribeEvents } from '../api/subscribe-events.js';
import type { DaemonEvent, PushMessage } from '../shared/protocol.js';
import type { Dialer } from '../tui/backend.js';
import { ADMIN, identityOf, type Identity } from './rights.js';

/** A daemon event with the host it came from. */
export interface HostEvent extends DaemonEvent {
  host: string;
}

/**
 * What the web view needs of each host beyond the TUI's backend: who the connection is
 * (`hello`'s identity), the daemon's event log (alerts, run outcomes) and the live client for
 * the calls the backend does not make (one task's details). It wraps each host's dialer, so
 * the backend's own connection carries all of it: one connection per host, as the TUI has.
 * Events: 'event' (HostEvent), 'identity' (host).
 */
/** Events a host's daemon kept, shown when its link opens. */
const RECENT_EVENTS = 100;

export class HostLinks extends EventEmitter {
  private readonly clients = new Map<string, JobctlClient>();
  private readonly identities = new Map<string, Identity>();
  /** The time of the last event emitted per host. */
  private readonly lastAt = new Map<string, number>();

  private emitEvent(e: HostEvent): void {
    this.lastAt.set(e.host, Math.max(this.lastAt.get(e.host) ?? 0, e.at));
    this.emit('event', e);
  }

  /** The dialer to give the backend for `host`. */
  wrap(host: string, dial: Dialer): Dialer {
    return async () => {
      const c = await dial();
      try {
        const hello = await c.call('hello', { client: 'jobctl web' }, 15_000);
        const { recent } = await subscribeEvents(c, RECENT_EVENTS, hello.protocol);
        this.identities.set(host, identityOf(hello));
        // What happened before the page opened: the events pane does not start empty.
        // After a reconnect, only those not shown already.
        const after = this.lastAt.get(host) ?? 0;
        for (const e of recent) if (e.at > after) this.emitEvent({ ...e, host });
      } catch (e) {
        c.close();
        throw e;
      }
      this.clients.set(host, c);
      c.on('push', (m: PushMessage) => {
        if (m.event === 'event') this.emitEvent({ ...m.data, host });
      });
      c.once('close', () => {
        if (this.clients.get(host) === c) this.clients.delete(host);
      });
      this.emit('identity', host);
      return c;
    };
  }

  /** The open connection to `host`, if there is one. */
  client(host: string): JobctlClient | undefined {
    return this.clients.get(host);
  }

  /** Who the connection to `host` is; admin until a daemon says otherwise. */
  identity(host: string): Identity {
    return this.identities.get(host) ?? ADMIN;
  }

  /** Whether `host` has answered a `hello` (so its identity is known). */
  known(host: string): boolean {
    return this.identities.has(host);
  }
}
