import type { ConfigDiff } from '../config/diff.js';
import { JobctlError } from '../shared/errors.js';
import { dependencyEdges, stopWaves } from '../core/start-order.js';
import { planChange, type PlanStep } from '../core/reload-plan.js';
import type { TaskSpec } from '../shared/types.js';
import type { LoopPacer, PacedFailure } from './loop-pacer.js';
import type { TaskRegistry } from './registry.js';

export interface DeltaTargets {
  registry: TaskRegistry;
  scale: { forget(name: string): void; specChanged(spec: TaskSpec, keys: readonly string[]): Promise<void> };
  pacer: LoopPacer;
}

type Step = (t: DeltaTargets, spec: TaskSpec, keys: string[]) => Promise<void>;

/** How each step of a changed task's plan (core/reload-plan) is carried out. */
const STEPS: Record<PlanStep, Step> = {
  update: ({ registry }, spec, keys) => registry.update(spec, keys),
  recreate: ({ registry }, spec) => registry.recreate(spec),
  rescale: ({ scale }, spec, keys) => scale.specChanged(spec, keys),
};

/**
 * Apply a config diff to the running tasks (the reload's plan, carried out). Removed tasks
 * go first, dependents before what they depend on (depends_on as it was before the change),
 * then changed tasks, each by the steps of its plan in their order, then new ones. Each step goes through the pacer: many tasks at once,
 * in slices that leave the loop to the socket, and a changed task counts as done once its
 * processes are replaced, so only so many replacements are under way. A task that fails
 * does not hold the others back; the first failure is thrown once all are done.
 */
export async function applyDelta(t: DeltaTargets, delta: ConfigDiff): Promise<void> {
  const { registry, scale, pacer } = t;
  // Shutting down, the tasks still listed are stopping: a reload changes none of them.
  if (registry.closing) throw reloadRefused();
  const failures: Array<PacedFailure<unknown>> = [];
  for (const wave of stopWaves(dependencyEdges(registry.specs()), delta.removed.map((s) => s.name))) {
    failures.push(...await pacer.run(wave, async (name) => {
      await registry.remove(name);
      scale.forget(name);
    }));
  }
  failures.push(...await pacer.run(delta.changed, async (c) => {
    for (const step of planChange(c.before, c.after, c.keys).steps) await STEPS[step](t, c.after, c.keys);
    await registry.replaced(c.after.name);
  }));
  failures.push(...await pacer.run(delta.added, (spec) => registry.add(spec)));
  if (failures.length) throw failures[0]!.error;
}

/** A reload asked while the daemon stops: refused, before its read (daemon/main.ts) or its apply (here). */
export function reloadRefused(): JobctlError {
  return new JobctlError('SHUTTING_DOWN', 'the daemon is shutting down; the reload was not applied');
}
