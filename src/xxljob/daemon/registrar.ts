import type { RegistryParam } from '../core/wire.js';
import type { AdminClient } from '../runtime/admin-client.js';

export interface RegistrarOptions {
  client: AdminClient;
  param: RegistryParam;
  /** @default 30000 (the admin drops an executor not seen for 90 s) */
  intervalMs?: number;
  /** Registration failed (first failure and every change of message). */
  onError?: (message: string) => void;
  /** Registration succeeded after a failure, or for the first time. */
  onRegistered?: (admin: string) => void;
}

export interface RegistrationStatus {
  registered: boolean;
  admin?: string;
  lastRegisteredAt?: number;
  lastError?: string;
  lastErrorAt?: number;
}

/** Registers the executor now and every interval; `close()` sends registryRemove. */
export class Registrar {
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  readonly status: RegistrationStatus = { registered: false };

  constructor(private readonly opts: RegistrarOptions) {}

  /** The address registered. */
  get address(): string {
    return this.opts.param.registryValue;
  }

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs ?? 30_000);
    this.timer.unref();
  }

  private tick(): void {
    if (this.inflight || this.closed) return;
    this.inflight = this.opts.client.call('registry', this.opts.param).then((r) => {
      if (this.closed) return;
      if (r.ok) {
        const was = this.status.registered;
        Object.assign(this.status, { registered: true, admin: r.admin, lastRegisteredAt: Date.now() });
        if (!was) this.opts.onRegistered?.(r.admin);
      } else {
        if (r.error !== this.status.lastError || this.status.registered) this.opts.onError?.(`xxljob registration failed: ${r.error}`);
        Object.assign(this.status, { registered: false, lastError: r.error, lastErrorAt: Date.now() });
      }
    }).finally(() => (this.inflight = undefined));
  }

  /** Stop; `remove` tells the admin this executor is gone (bounded by the client's timeout). Safe to call twice. */
  close(remove: boolean): Promise<void> {
    this.closed ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      await this.inflight;
      if (remove && this.status.lastRegisteredAt !== undefined) await this.opts.client.call('registryRemove', this.opts.param);
      this.status.registered = false;
    })();
    return this.closed;
  }
}
