import os from 'node:os';
import { expandEnv } from '../../shared/env-ref.js';
import { DEFAULTS } from '../../config/defaults.js';
import { claimKey, claimTtlMs } from '../core/fleet-claim.js';
import type { RedisLock } from '../runtime/redis-lock.js';
import { redact } from '../../shared/redact.js';
import { compileSchedule } from '../../shared/cron.js';
import { errorMessage } from '../../shared/errors.js';
import type { CronTaskSpec, HostSettings } from '../../shared/types.js';
import type { HostService } from '../../daemon/host-service.js';
import type { DaemonLog } from '../../daemon/logger.js';

/**
 * What the lock says about one scheduled firing: run it; or not, `quiet` when another host
 * claimed it (nothing to record here), loud (recorded as skipped, alerts) on a lock error.
 */
export type ClaimDecision = { ok: true } | { ok: false; reason: string; quiet: boolean };

export interface FleetLockInfo {
  redis: string;
  connected: boolean;
  error?: string;
  claimed: number;
  lost: number;
  errors: number;
}

/**
 * `lock: {redis: URL}` in jobctl.yaml (a HostService): claims the scheduled firings of
 * `on_one_host` cron tasks so that one daemon of the fleet runs each (SET NX PX with the
 * key task + scheduled instant). Manual runs and retries never ask; without a lock or when
 * Redis does not answer, the firing does not run (no run without a claim).
 */
export class FleetLockService implements HostService {
  readonly name = 'lock';
  private lock: RedisLock | undefined;
  private url: string | undefined;
  private counts = { claimed: 0, lost: 0, errors: 0 };
  private readonly owner = `${os.hostname()}:${process.pid}`;

  constructor(
    private readonly log?: DaemonLog,
    /** Told of every lock error (the firing is skipped): the daemon sends the task's alerts. */
    private readonly onLockError?: (spec: CronTaskSpec, message: string) => void,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly now: () => number = Date.now,
  ) {}

  async apply(settings: HostSettings): Promise<void> {
    const expanded = settings.lock ? expandEnv(settings.lock.redis, this.env) : undefined;
    if (expanded?.missing.length) this.log?.warn(`lock.redis names unset environment variable(s): ${expanded.missing.join(', ')}`);
    const url = expanded?.text;
    if (url === this.url) return;
    await this.lock?.close();
    this.lock = undefined;
    this.url = url;
    if (!url) return;
    // The Redis client is loaded only where a lock is configured (DESIGN.md "The hot path": memory).
    const { RedisLock } = await import('../runtime/redis-lock.js');
    this.lock = new RedisLock(url);
    await this.lock.ready(2000);
    const err = this.lock.lastError;
    if (err) this.log?.warn(`lock: ${redact(url)} not reachable yet (${err}); on_one_host firings are skipped until it is`);
    else this.log?.info(`lock: claims in ${redact(url)}`);
  }

  /** Decide one firing. Tasks without on_one_host always run. */
  async claim(spec: CronTaskSpec, scheduledAt: number): Promise<ClaimDecision> {
    if (!spec.onOneHost) return { ok: true };
    if (!this.lock) return this.error(spec, scheduledAt, 'lock error: on_one_host needs `lock: {redis: URL}` in jobctl.yaml');
    const ttlMs = claimTtlMs(intervalOf(spec, scheduledAt), DEFAULTS.cron.catchupCap);
    // A claim lives ttlMs from when it was made (at the earliest, the scheduled instant): for
    // an older firing (catch-up after a long downtime) the key of a host that ran it may have
    // expired, so an empty key proves nothing. No run without a claim that can prove it.
    if (this.now() - scheduledAt >= ttlMs) {
      return this.error(spec, scheduledAt, `lock error: the firing is older than a claim lives (${Math.round(ttlMs / 60_000)} min); another host may have run it`);
    }
    try {
      const mine = await this.lock.claim(claimKey(spec.name, scheduledAt), this.owner, ttlMs);
      if (mine) this.counts.claimed++;
      else this.counts.lost++;
      return mine ? { ok: true } : { ok: false, quiet: true, reason: 'claimed by another host (on_one_host)' };
    } catch (e) {
      return this.error(spec, scheduledAt, `lock error: ${errorMessage(e)}`);
    }
  }

  private error(spec: CronTaskSpec, scheduledAt: number, reason: string): ClaimDecision {
    this.counts.errors++;
    const message = `${reason}; the firing of ${new Date(scheduledAt).toISOString()} was skipped (no run without a claim)`;
    this.log?.error(message, spec.name);
    this.onLockError?.(spec, message);
    return { ok: false, quiet: false, reason };
  }

  info(): FleetLockInfo | undefined {
    if (!this.url || !this.lock) return undefined;
    const error = this.lock.lastError;
    return { redis: redact(this.url), connected: !error, ...(error ? { error } : {}), ...this.counts };
  }

  /** Safe to call twice. */
  async close(): Promise<void> {
    await this.lock?.close();
    this.lock = undefined;
    this.url = undefined;
  }
}


/** The time between this firing and the next, for the claim's lifetime. */
function intervalOf(spec: CronTaskSpec, from: number): number {
  if (spec.schedule === undefined) return Number.NaN; // on demand: never a scheduled firing
  try {
    const [a, b] = compileSchedule(spec.schedule, spec.timezone).nextRuns(2, new Date(from));
    return a && b ? b.getTime() - a.getTime() : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
