import type { ConfigDiff } from '../config/diff.js';
import type { PlanResult } from '../shared/protocol.js';
import type { ConfigIssue } from '../shared/types.js';

/** A config diff as `plan` and `reload` answer it: built here only. */
export function planResult(delta: ConfigDiff, errors: ConfigIssue[], keptFiles: string[] = []): PlanResult {
  return {
    added: delta.added.map((t) => t.name),
    removed: delta.removed.map((t) => t.name),
    changed: delta.changed.map((c) => ({ name: c.after.name, keys: c.keys })),
    unchanged: delta.unchanged.length,
    errors,
    keptFiles,
  };
}

/** One line for the daemon log: `reload: 1 added, … (+a -b ~c)`, or undefined when nothing changed. */
export function planSummary(delta: ConfigDiff): string | undefined {
  const n = delta.added.length + delta.removed.length + delta.changed.length;
  if (n === 0) return undefined;
  const names = [...delta.added.map((t) => `+${t.name}`), ...delta.removed.map((t) => `-${t.name}`), ...delta.changed.map((c) => `~${c.after.name}`)];
  return `reload: ${delta.added.length} added, ${delta.removed.length} removed, ${delta.changed.length} changed (${names.join(' ')})`;
}
