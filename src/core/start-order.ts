import { dependencyOrder, type DependencyEdges } from '../shared/dependency-graph.js';
import type { DependencyCondition } from '../shared/types.js';

/**
 * Start order (DESIGN.md "Health and order"), pure: whether a task may start given what
 * its dependencies have reached, and the waves in which tasks start and stop. Tasks of one
 * wave do not depend on each other and go in parallel; stops run the waves backwards.
 */

/** What a dependency has reached right now, as the runtime sees it. */
export interface DependencyFacts {
  /** A service task with an instance starting or running; a cron task that is scheduled. */
  started: boolean;
  /** Every instance it should run is running and passes its health check. */
  healthy: boolean;
  /** Its last run (cron) or its process (one-shot service task) ended with success. */
  completed: boolean;
  /** A word for the reason when the condition is not met: `stopped`, `unhealthy`, `2/3 healthy`, `last run failed`. */
  summary: string;
}

export function conditionMet(condition: DependencyCondition, facts: DependencyFacts): boolean {
  return facts[condition];
}

/**
 * Why a task must wait, or undefined when every dependency has reached its condition.
 * Dependencies are checked in name order, so the reason is stable: "waiting for db: unhealthy".
 */
export function waitReason(
  dependsOn: Readonly<Record<string, DependencyCondition>> | undefined,
  facts: (task: string) => DependencyFacts | undefined,
): string | undefined {
  for (const dep of Object.keys(dependsOn ?? {}).sort()) {
    const condition = dependsOn![dep]!;
    const f = facts(dep);
    if (!f) return `waiting for ${dep}: not loaded (no such task in the running config)`;
    if (!conditionMet(condition, f)) return `waiting for ${dep}: ${f.summary} (needs ${condition})`;
  }
  return undefined;
}

/**
 * Tasks in waves: each wave depends only on earlier waves. A task's wave is one past the
 * deepest of its dependencies among `names`; dependencies outside `names` are ignored.
 */
export function startWaves(edges: DependencyEdges, names: readonly string[]): string[][] {
  const wanted = new Set(names);
  const sub = new Map([...wanted].map((n) => [n, (edges.get(n) ?? []).filter((d) => wanted.has(d))]));
  const level = new Map<string, number>();
  for (const n of dependencyOrder(sub)) {
    const deps = sub.get(n) ?? [];
    level.set(n, deps.reduce((max, d) => Math.max(max, (level.get(d) ?? -1) + 1), 0));
  }
  const waves: string[][] = [];
  for (const [n, l] of level) (waves[l] ??= []).push(n);
  return waves.filter(Boolean).map((w) => w.sort());
}

/** The stop order: dependents before what they depend on. */
export function stopWaves(edges: DependencyEdges, names: readonly string[]): string[][] {
  return startWaves(edges, names).reverse();
}

/** The `depends_on` graph of a set of tasks. */
export function dependencyEdges(tasks: ReadonlyArray<{ name: string; dependsOn?: Readonly<Record<string, DependencyCondition>> }>): Map<string, string[]> {
  return new Map(tasks.map((t) => [t.name, Object.keys(t.dependsOn ?? {})]));
}
