import { scaleStep, scaleTarget, type ScaleMemory } from '../core/scale-policy.js';
import { runProbe } from '../runtime/probe.js';
import type { StateStore } from '../runtime/state-store.js';
import { errorMessage } from '../shared/errors.js';
import type { ScaleInfo } from '../shared/protocol.js';
import type { DaemonTaskSpec, TaskSpec } from '../shared/types.js';
import type { DaemonLog } from './logger.js';
import type { TaskRegistry } from './registry.js';

interface Loop {
  spec: DaemonTaskSpec;
  timer?: NodeJS.Timeout;
  memory: ScaleMemory;
  target?: number;
  backlog?: number;
  probedAt?: number;
  error?: string;
  probing: boolean;
}

/**
 * Backlog-driven scaling of daemon tasks with `scale:`, and manual counts set by
 * `jobctl scale TASK N` (kept in db.json until the task's config changes or
 * `jobctl scale TASK auto`). The decisions are core/scale-policy's.
 */
export class Autoscaler {
  private readonly loops = new Map<string, Loop>();
  private closed = false;

  constructor(private readonly registry: TaskRegistry, private readonly store: StateStore, private readonly log: DaemonLog) {}

  /** Follow the current specs; `changed` tasks lose their manual count. */
  sync(specs: TaskSpec[], changed: string[] = []): void {
    for (const name of changed) this.clearManual(name);
    const scaled = new Map(specs.filter((s): s is DaemonTaskSpec => s.kind === 'daemon' && s.scale !== undefined).map((s) => [s.name, s]));
    for (const [name, loop] of this.loops) {
      if (!scaled.has(name)) {
        if (loop.timer) clearTimeout(loop.timer);
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
    // Manual counts persisted by an earlier daemon.
    for (const [name, n] of this.store.manualScales()) {
      const task = this.registry.daemonTask(name);
      if (!task) this.clearManual(name);
      else if (task.instanceCount !== n) void task.setCount(n);
    }
  }

  private manual(name: string): number | undefined {
    return this.store.manualScale(name);
  }

  private clearManual(name: string): void {
    this.store.deleteManualScale(name);
  }

  async setManual(name: string, count: number | 'auto'): Promise<void> {
    const task = this.registry.daemonTask(name);
    if (!task) return;
    if (count === 'auto') {
      this.clearManual(name);
      this.log.info('scale: back to automatic', name);
      const loop = this.loops.get(name);
      if (loop) this.arm(loop, 0);
      else await task.setCount(task.taskSpec.instances);
      return;
    }
    this.store.setManualScale(name, count);
    this.log.info(`scale: set to ${count} by hand (until its config changes or \`jobctl scale ${name} auto\`)`, name);
    await task.setCount(count);
  }

  info(name: string): ScaleInfo | undefined {
    const loop = this.loops.get(name);
    const task = this.registry.daemonTask(name);
    const manual = this.manual(name);
    if (!task || (!loop && manual === undefined)) return undefined;
    const current = task.instanceCount;
    const scale = loop?.spec.scale;
    return {
      min: scale?.min ?? current, max: scale?.max ?? current, current,
      target: manual ?? loop?.target ?? current,
      mode: manual !== undefined ? 'manual' : 'auto',
      ...(loop?.backlog !== undefined ? { backlog: loop.backlog } : {}),
      ...(loop?.probedAt !== undefined ? { probedAt: loop.probedAt } : {}),
      ...(loop?.error !== undefined ? { error: loop.error } : {}),
    };
  }

  private arm(loop: Loop, delayMs: number): void {
    if (this.closed) return;
    if (loop.timer) clearTimeout(loop.timer);
    loop.timer = setTimeout(() => void this.tick(loop), delayMs);
    loop.timer.unref();
  }

  private async tick(loop: Loop): Promise<void> {
    const name = loop.spec.name;
    const scale = loop.spec.scale!;
    try {
      if (loop.probing || this.manual(name) !== undefined || !this.registry.daemonTask(name)) return;
      const task = this.registry.daemonTask(name)!;
      if (task.status().desired !== 'running') return;
      loop.probing = true;
      const r = await runProbe(scale.probe, {
        cwd: loop.spec.cwd, env: { ...loop.spec.env, JOBCTL_TASK: name }, timeoutMs: Math.min(10_000, Math.max(1000, scale.intervalMs)),
      });
      loop.probing = false;
      loop.probedAt = Date.now();
      if (this.loops.get(name) !== loop || this.manual(name) !== undefined) return;
      if (r.backlog === undefined) {
        // A failed probe keeps the current count.
        if (loop.error !== r.error) this.log.warn(`scale probe: ${r.error}; keeping ${task.instanceCount} instance(s)`, name);
        loop.error = r.error;
        return;
      }
      delete loop.error;
      loop.backlog = r.backlog;
      const current = task.instanceCount;
      loop.target = scaleTarget(r.backlog, scale);
      const step = scaleStep(current, loop.target, loop.memory, Date.now(), scale.cooldownMs);
      loop.memory = step.memory;
      if (step.count !== current) {
        this.log.info(`scale: backlog ${r.backlog} -> ${step.count} instance(s) (was ${current})`, name);
        await task.setCount(step.count);
        this.registry.touch(name);
      }
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
    for (const loop of this.loops.values()) if (loop.timer) clearTimeout(loop.timer);
    this.loops.clear();
  }
}
