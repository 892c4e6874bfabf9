import type { ScaleInfo } from '../shared/protocol.js';
import type { ServiceTaskSpec, TaskSpec } from '../shared/types.js';
import type { InstancesCapability } from '../runtime/task-runner.js';
import type { Marks } from '../runtime/task-marks.js';
import type { TaskRegistry } from './registry.js';

/** What the autoscaler last saw of a task, for status. */
export interface AutoReading {
  target?: number;
  backlog?: number;
  probedAt?: number;
  error?: string | undefined;
}

/**
 * The one owner of a service's instance count (DESIGN.md "Controller"): a manual
 * `jobctl scale` count wins, then the autoscaler's target, then the spec's `instances`.
 * A manual count lasts until `jobctl scale TASK auto` or an edit of `instances`/`scale`;
 * other edits keep it, and keep the running instances.
 */
export class ScaleController {
  private readonly auto = new Map<string, AutoReading>();
  private registry: TaskRegistry | undefined;

  constructor(private readonly manual: Marks<number>, private readonly onLog: (message: string, task: string) => void = () => undefined) {}

  /** The registry whose services this controller sizes (set once, after both exist). */
  attach(registry: TaskRegistry): void {
    this.registry = registry;
  }

  /** The count a service should have now. */
  countFor(spec: ServiceTaskSpec): number {
    const manual = this.manual.get(spec.name);
    if (manual !== undefined) return manual;
    return this.autoTarget(spec) ?? spec.instances;
  }

  /** The autoscaler's last target, within the spec's scale range as it is now (an edit may have narrowed it). */
  private autoTarget(spec: ServiceTaskSpec): number | undefined {
    const target = spec.scale ? this.auto.get(spec.name)?.target : undefined;
    return target === undefined ? undefined : Math.min(spec.scale!.max, Math.max(spec.scale!.min, target));
  }

  /** The instances of a task, when its runner has them. */
  service(name: string): InstancesCapability | undefined {
    return this.registry?.capable(name, 'instances');
  }

  /** Apply the count to the task's runner. */
  async apply(name: string): Promise<void> {
    const r = this.service(name);
    if (r) await r.setCount(this.countFor(r.spec));
  }

  /** `jobctl scale TASK N|auto`. WRONG_KIND for a task without instances (cron). */
  async setManual(name: string, count: number | 'auto'): Promise<void> {
    if (!this.registry) return;
    this.registry.capability(name, 'instances');
    if (count === 'auto') {
      this.manual.delete(name);
      this.onLog('scale: back to automatic', name);
    } else {
      this.manual.set(name, count);
      this.onLog(`scale: set to ${count} by hand (until \`jobctl scale ${name} auto\` or an edit of instances/scale)`, name);
    }
    await this.apply(name);
  }

  /** A new target from the autoscaler (already stepped by core/scale-policy). */
  async setAutoTarget(name: string, reading: AutoReading): Promise<void> {
    this.auto.set(name, { ...this.auto.get(name), ...reading });
    if (this.manual.get(name) === undefined) await this.apply(name);
  }

  /** The autoscaler's reading without a new target (probe failed, or for status). */
  note(name: string, reading: AutoReading): void {
    this.auto.set(name, { ...this.auto.get(name), ...reading });
  }

  isManual(name: string): boolean {
    return this.manual.get(name) !== undefined;
  }

  /**
   * A spec changed: an edit of `instances` or `scale` ends a manual count; the count is then
   * applied. Any other edit leaves the count, and so the running instances, alone.
   */
  async specChanged(spec: TaskSpec, keys: readonly string[]): Promise<void> {
    // Called after the runner took the spec (or a new runner replaced it): a task whose
    // runner has no instances (a cron task, or no longer a service) is forgotten.
    const service = this.service(spec.name);
    if (!service) {
      this.forget(spec.name);
      return;
    }
    if (keys.includes('instances') || keys.includes('scale')) this.manual.delete(spec.name);
    if (!service.spec.scale) this.auto.delete(spec.name);
    await service.setCount(this.countFor(service.spec));
  }

  /** A task went away (or has no instances any more). */
  forget(name: string): void {
    this.manual.delete(name);
    this.auto.delete(name);
  }

  /** Manual counts kept for tasks that no longer exist are dropped. */
  prune(exists: (name: string) => boolean): void {
    for (const [name] of this.manual.entries()) if (!exists(name)) this.manual.delete(name);
  }

  info(spec: ServiceTaskSpec, current: number): ScaleInfo | undefined {
    const manual = this.manual.get(spec.name);
    if (!spec.scale && manual === undefined) return undefined;
    const reading = this.auto.get(spec.name);
    return {
      min: spec.scale?.min ?? current, max: spec.scale?.max ?? current, current,
      target: manual ?? this.autoTarget(spec) ?? current,
      mode: manual !== undefined ? 'manual' : 'auto',
      ...(reading?.backlog !== undefined ? { backlog: reading.backlog } : {}),
      ...(reading?.probedAt !== undefined ? { probedAt: reading.probedAt } : {}),
      ...(reading?.error !== undefined ? { error: reading.error } : {}),
    };
  }
}
