import { scaleStep, scaleTarget, type ScaleMemory } from '../core/scale-policy.js';
import { realClock, type Clock } from '../runtime/clock.js';
import { runProbe, type ProbeResult } from '../runtime/probe.js';
import type { Containment } from '../runtime/process/contain.js';
import { errorMessage } from '../shared/errors.js';
import type { ServiceTaskSpec, TaskSpec } from '../shared/types.js';
import type { ScaleController } from './scale-controller.js';

interface Loop {
  spec: ServiceTaskSpec;
  timer?: unknown;
  memory: ScaleMemory;
  error?: string;
  probing: boolean;
}

export interface AutoscalerOptions {
  /** Log lines about scaling decisions. */
  log: { info(message: string, task?: string): void; warn(message: string, task?: string): void };
  clock?: Clock;
  /** Runs a probe; injectable for tests. @default runtime/probe's runProbe */
  probe?: (command: string, opts: { cwd: string; env: Record<string, string>; timeoutMs: number; containment?: Containment }) => Promise<ProbeResult>;
  /** The home's containment, for the probes. @default process groups alone */
  containment?: Containment;
}

/**
 * Backlog-driven scaling of services with `scale:`: probes each on its interval and gives the
 * scale controller a target (core/scale-policy decides it). It never sets a count itself,
 * and probes nothing while a manual count is in force or the task is stopped.
 */
export class Autoscaler {
  private readonly loops = new Map<string, Loop>();
  private closed = false;
  private readonly clock: Clock;
  private readonly probe: NonNullable<AutoscalerOptions['probe']>;

  constructor(private readonly scale: ScaleController, private readonly opts: AutoscalerOptions) {
    this.clock = opts.clock ?? realClock;
    this.probe = opts.probe ?? runProbe;
  }

  /** Follow the current specs: a loop per task whose instances have `scale`. */
  sync(specs: readonly TaskSpec[]): void {
    const scaled = new Map(specs.flatMap((s) => {
      const service = this.scale.service(s.name)?.spec;
      return service?.scale ? [[s.name, service] as const] : [];
    }));
    for (const [name, loop] of this.loops) {
      if (!scaled.has(name)) {
        if (loop.timer !== undefined) this.clock.clearTimeout(loop.timer);
        this.loops.delete(name);
      }
    }
    for (const [name, spec] of scaled) {
      const loop = this.loops.get(name);
      if (loop) {
        loop.spec = spec;
        continue;
      }
      const fresh: Loop = { spec, memory: {}, probing: false };
      this.loops.set(name, fresh);
      this.arm(fresh, 0);
    }
  }

  /** Probe a task now (after `jobctl scale TASK auto`). */
  poke(name: string): void {
    const loop = this.loops.get(name);
    if (loop) this.arm(loop, 0);
  }

  private arm(loop: Loop, delayMs: number): void {
    if (this.closed) return;
    if (loop.timer !== undefined) this.clock.clearTimeout(loop.timer);
    loop.timer = this.clock.setTimeout(() => {
      loop.timer = undefined;
      this.tick(loop).catch((e: unknown) => this.opts.log.warn(`autoscaler: ${errorMessage(e)}`, loop.spec.name));
    }, delayMs);
    (loop.timer as { unref?: () => void }).unref?.();
  }

  private async tick(loop: Loop): Promise<void> {
    const name = loop.spec.name;
    const scale = loop.spec.scale!;
    try {
      const service = this.scale.service(name);
      if (loop.probing || this.scale.isManual(name) || !service || service.desired !== 'running') return;
      loop.probing = true;
      const r = await this.probe(scale.probe, {
        cwd: loop.spec.cwd, env: { ...loop.spec.env, JOBCTL_TASK: name }, timeoutMs: Math.min(10_000, Math.max(1000, scale.intervalMs)),
        ...(this.opts.containment ? { containment: this.opts.containment } : {}),
      });
      loop.probing = false;
      const probedAt = this.clock.now();
      if (this.loops.get(name) !== loop || this.scale.isManual(name)) return;
      const current = service.count;
      if (r.backlog === undefined) {
        // A failed probe keeps the current count.
        if (loop.error !== r.error) this.opts.log.warn(`scale probe: ${r.error}; keeping ${current} instance(s)`, name);
        loop.error = r.error;
        this.scale.note(name, { probedAt, ...(r.error !== undefined ? { error: r.error } : {}) });
        return;
      }
      delete loop.error;
      const target = scaleTarget(r.backlog, scale);
      const step = scaleStep(current, target, loop.memory, probedAt, scale.cooldownMs);
      loop.memory = step.memory;
      if (step.count !== current) this.opts.log.info(`scale: backlog ${r.backlog} -> ${step.count} instance(s) (was ${current})`, name);
      await this.scale.setAutoTarget(name, { target: step.count, backlog: r.backlog, probedAt, error: undefined });
    } catch (e) {
      loop.probing = false;
      loop.error = errorMessage(e);
    } finally {
      if (this.loops.get(name) === loop) this.arm(loop, scale.intervalMs);
    }
  }

  /** Safe to call twice. */
  close(): void {
    this.closed = true;
    for (const loop of this.loops.values()) if (loop.timer !== undefined) this.clock.clearTimeout(loop.timer);
    this.loops.clear();
  }
}
