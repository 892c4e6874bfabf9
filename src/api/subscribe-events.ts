import type { JobctlClient } from './client.js';
import type { DaemonEvent } from '../shared/protocol.js';

/**
 * Subscribes a connection to the daemon's events, with the last `recent` it kept when the
 * daemon speaks protocol 2 or later (an older one refuses the key: it gets the live events
 * only). `protocol`: from a `hello` the caller made already; otherwise one is made here.
 */
export async function subscribeEvents(c: JobctlClient, recent: number, protocol?: number, timeoutMs = 15_000): Promise<{ subscription: number; recent: DaemonEvent[] }> {
  const rev = protocol ?? (await c.call('hello', {}, timeoutMs)).protocol;
  const r = await c.call('subscribe', rev >= 2 && recent > 0 ? { events: ['event'], recent } : { events: ['event'] }, timeoutMs);
  return { subscription: r.subscription, recent: Array.isArray(r.recent) ? r.recent : [] };
}
