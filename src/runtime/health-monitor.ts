import { healthTransition, initialHealth, type HealthSnapshot, type ProbeOutcome } from '../core/health-machine.js';
import { errorMessage } from '../shared/errors.js';
import type { InstanceHealth } from '../shared/protocol.js';
import type { HealthProbeSpec, HealthSpec } from '../shared/types.js';
import { realClock, type Clock } from './clock.js';
import { runHealthProbe, type ProbeContext } from './health-probe.js';

export interface HealthMonitorOptions {
  spec: HealthSpec;
  /** Where a command probe runs, and with which environment (the instance's, plus JOBCTL_PID). */
  context: () => Omit<ProbeContext, 'timeoutMs'>;
  clock?: Clock;
  /** Health changed (a probe ended): status should be pushed. */
  onChange: () => void;
  /** `failures` consecutive failures: restart the instance. */
  onRestart: (reason: string) => void;
  onNotify: (event: 'unhealthy' | 'recovered', message: string) => void;
  /** The probe runner. @default runHealthProbe */
  probe?: (probe: HealthProbeSpec, ctx: ProbeContext) => Promise<ProbeOutcome>;
}

/** The first probe runs this soon after a start (or after `interval`, if shorter). */
export const FIRST_PROBE_MS = 1000;

/**
 * The health check of one instance: while its process lives, runs the probe every
 * `interval` (never two at once), feeds each result to the pure health machine and carries
 * out what it returns (restart, notify). A result that arrives after the process it was
 * checking has gone is dropped.
 */
export class HealthMonitor {
  private spec: HealthSpec;
  private readonly clock: Clock;
  private snapshot: HealthSnapshot | undefined;
  private timer: unknown;
  private generation = 0;
  private disposed = false;

  constructor(private readonly opts: HealthMonitorOptions) {
    this.spec = opts.spec;
    this.clock = opts.clock ?? realClock;
  }

  /** Used from the next probe on. */
  setSpec(spec: HealthSpec): void {
    this.spec = spec;
  }

  /** A new process started at `startedAt`: it is `starting` until a probe passes. */
  begin(startedAt: number): void {
    if (this.disposed) return;
    this.end();
    this.snapshot = initialHealth(startedAt);
    this.schedule(Math.min(this.spec.intervalMs, FIRST_PROBE_MS));
  }

  /** The process is gone: no more probes, no health to show. */
  end(): void {
    this.generation++;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.snapshot = undefined;
  }

  status(): InstanceHealth | undefined {
    const s = this.snapshot;
    if (!s) return undefined;
    return { state: s.state, since: s.since, failures: s.failures, ...(s.lastProbe ? { lastProbe: { ...s.lastProbe } } : {}) };
  }

  private schedule(delayMs: number): void {
    const gen = this.generation;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (gen === this.generation) void this.probeOnce(gen);
    }, delayMs);
  }

  private async probeOnce(gen: number): Promise<void> {
    const spec = this.spec;
    let outcome: ProbeOutcome;
    try {
      outcome = await (this.opts.probe ?? runHealthProbe)(spec.probe, { ...this.opts.context(), timeoutMs: spec.timeoutMs });
    } catch (e) {
      outcome = { ok: false, output: `probe error: ${errorMessage(e)}`, durationMs: 0 };
    }
    if (gen !== this.generation || !this.snapshot || this.disposed) return;
    const t = healthTransition(this.snapshot, outcome, this.clock.now(), spec);
    this.snapshot = t.next;
    this.schedule(spec.intervalMs);
    this.opts.onChange();
    for (const e of t.effects) {
      if (e.type === 'notify') this.opts.onNotify(e.event, e.message);
      else this.opts.onRestart(e.reason);
    }
  }

  /** Safe to call twice. */
  dispose(): void {
    this.disposed = true;
    this.end();
  }
}
