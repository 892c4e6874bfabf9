import { Redis } from 'ioredis';
import { errorMessage } from '../../shared/errors.js';
import { redact } from '../../shared/redact.js';

export interface RedisLockOptions {
  /** A claim that gets no answer in this long is a lock error (no run without a claim). @default 1000 */
  commandTimeoutMs?: number;
  /** Connect timeout of each attempt; the client keeps reconnecting in the background. @default 2000 */
  connectTimeoutMs?: number;
}

/**
 * Claims in Redis with `SET key value NX PX ttl` (one writer wins; the key expires by
 * itself). One connection, reconnecting in the background; a claim made while Redis is
 * away fails at once or after `commandTimeoutMs`, never waits longer.
 */
export class RedisLock {
  private readonly redis: Redis;
  private closed = false;
  private lastErrorText: string | undefined;

  constructor(readonly url: string, opts: RedisLockOptions = {}) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      commandTimeout: opts.commandTimeoutMs ?? 1000,
      connectTimeout: opts.connectTimeoutMs ?? 2000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: (times) => Math.min(100 * times, 2000),
    });
    this.redis.on('error', (e: Error) => {
      this.lastErrorText = errorMessage(e) || 'connection error';
    });
    this.redis.on('ready', () => {
      this.lastErrorText = undefined;
    });
  }

  /** Why the connection is down, when it is. */
  get lastError(): string | undefined {
    return this.redis.status === 'ready' ? undefined : this.lastErrorText ?? `not connected (${this.redis.status})`;
  }

  /** Resolves once connected (or after `ms`), so the first firing after start does not fail for nothing. */
  async ready(ms = 2000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      this.redis.once('ready', done);
      function done() {
        clearTimeout(t);
        resolve();
      }
    });
  }

  /** true: this caller holds the key now; false: someone else does. Throws when Redis does not answer. */
  async claim(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.redis.status !== 'ready') throw new Error(`redis ${redact(this.url)}: ${this.lastError ?? 'not connected'}`);
    try {
      return (await this.redis.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK';
    } catch (e) {
      throw new Error(`redis ${redact(this.url)}: ${errorMessage(e)}`);
    }
  }

  /** Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.redis.disconnect();
  }
}

