import type { ConfigDiff } from '../config/diff.js';
import { dependencyEdges, stopWaves } from '../core/start-order.js';
import type { TaskSpec } from '../shared/types.js';
import type { LoopPacer, PacedFailure } from './loop-pacer.js';
import type { TaskRegistry } from './registry.js';

export interface DeltaTargets {
  registry: TaskRegistry;
  scale: { forget(name: string): void; specChanged(spec: TaskSpec, keys: readonly string[]): Promise<void> };
  pacer: LoopPacer;
}

/**
 * Apply a config diff to the running tasks (the reload's plan, carried out). Removed tasks
 * go first, dependents before what they depend on (depends_on as it was before the change),
 * then changed tasks, then new ones. Each step goes through the pacer: many tasks at once,
 * in slices that leave the loop to the socket, and a changed task counts as done once its
 * processes are replaced, so only so many replacements are under way. A task that fails
 * does not hold the others back; the first failure is thrown once all are done.
 */
export async function applyDelta(t: DeltaTargets, delta: ConfigDiff): Promise<void> {
  const { registry, scale, pacer } = t;
  const failures: Array<PacedFailure<unknown>> = [];
  for (const wave of stopWaves(dependencyEdges(registry.specs()), delta.removed.map((s) => s.name))) {
    failures.push(...await pacer.run(wave, async (name) => {
      await registry.remove(name);
      scale.forget(name);
    }));
  }
  failures.push(...await pacer.run(delta.changed, async (c) => {
    await registry.update(c.after, c.keys);
    await scale.specChanged(c.after, c.keys);
    await registry.replaced(c.after.name);
  }));
  failures.push(...await pacer.run(delta.added, (spec) => registry.add(spec)));
  if (failures.length) throw failures[0]!.error;
}
