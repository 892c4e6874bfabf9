import type { ConfigDiff } from '../config/diff.js';
import type { ElsewhereTask, PlanResult } from '../shared/protocol.js';
import type { ConfigIssue, TaskSpec } from '../shared/types.js';

/** A config diff as `plan` and `reload` answer it: built here only. `elsewhere`: tasks not for this host. */
export function planResult(delta: ConfigDiff, errors: ConfigIssue[], keptFiles: string[] = [], elsewhere: readonly TaskSpec[] = []): PlanResult {
  return {
    added: delta.added.map((t) => t.name),
    removed: delta.removed.map((t) => t.name),
    changed: delta.changed.map((c) => ({ name: c.after.name, keys: c.keys })),
    unchanged: delta.unchanged.length,
    errors,
    keptFiles,
    ...(elsewhere.length ? { elsewhere: elsewhereOf(elsewhere) } : {}),
  };
}

/** The tasks of tasks/ whose `hosts:` leave this host out, as status and plan list them. */
export function elsewhereOf(specs: readonly TaskSpec[]): ElsewhereTask[] {
  return specs.map((t) => ({ name: t.name, group: t.group, kind: t.kind, hosts: t.hosts ?? [] })).sort((a, b) => a.name.localeCompare(b.name));
}

/** One line for the daemon log: `reload: 1 added, … (+a -b ~c)`, or undefined when nothing changed. */
export function planSummary(delta: ConfigDiff): string | undefined {
  const n = delta.added.length + delta.removed.length + delta.changed.length;
  if (n === 0) return undefined;
  const names = [...delta.added.map((t) => `+${t.name}`), ...delta.removed.map((t) => `-${t.name}`), ...delta.changed.map((c) => `~${c.after.name}`)];
  return `reload: ${delta.added.length} added, ${delta.removed.length} removed, ${delta.changed.length} changed (${names.join(' ')})`;
}
