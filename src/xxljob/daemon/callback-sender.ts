import { callbackRetryDelay } from '../core/callback.js';
import type { CallbackItem } from '../core/wire.js';
import type { AdminClient } from '../runtime/admin-client.js';
import type { CallbackStore } from '../runtime/callback-store.js';

export interface CallbackSenderOptions {
  store: CallbackStore;
  /** First retry delay. @default 1000 */
  retryBaseMs?: number;
  /** Longest retry delay. @default 30000 */
  retryMaxMs?: number;
  /** Items per request. @default 100 */
  batch?: number;
  onError?: (message: string) => void;
  onDelivered?: (count: number) => void;
}

/**
 * Delivers callbacks: each is on disk (CallbackStore) before the first attempt and leaves
 * it only when the admin answered code 200; failures retry with doubling delays. Without a
 * client (executor mode off) items wait on disk.
 */
export class CallbackSender {
  private client: AdminClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private attempt = 0;
  private closed = false;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  delivered = 0;

  constructor(private readonly opts: CallbackSenderOptions) {}

  /** Use this admin client from now on (undefined: hold everything). Sends what waits. */
  setClient(client: AdminClient | undefined): void {
    this.client = client;
    this.kick();
  }

  enqueue(item: CallbackItem): void {
    this.opts.store.add(item);
    if (this.timer === undefined) this.kick();
  }

  get pending(): number {
    return this.opts.store.size;
  }

  /** Try now (the admin is back, or there is something new), forgetting the backoff. */
  kick(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.attempt = 0;
    this.sending ??= this.flush().finally(() => (this.sending = undefined));
  }

  private async flush(): Promise<void> {
    const batch = this.opts.batch ?? 100;
    for (;;) {
      const client = this.client;
      const items = this.opts.store.pending().slice(0, batch);
      if (!client || items.length === 0 || this.closed) return;
      const r = await client.call('callback', items);
      if (!r.ok) {
        this.lastError = r.error;
        this.lastErrorAt = Date.now();
        this.opts.onError?.(`xxljob callback of ${items.length} run(s) not delivered, will retry: ${r.error}`);
        this.attempt++;
        if (!this.closed) {
          const delay = callbackRetryDelay(this.attempt, this.opts.retryBaseMs ?? 1000, this.opts.retryMaxMs ?? 30_000);
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.sending ??= this.flush().finally(() => (this.sending = undefined));
          }, delay);
          this.timer.unref();
        }
        return;
      }
      this.opts.store.remove(items.map((i) => i.logId));
      this.delivered += items.length;
      this.attempt = 0;
      this.lastError = undefined;
      this.opts.onDelivered?.(items.length);
    }
  }

  /** Stop retrying; what is not delivered stays on disk. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.sending;
  }
}
