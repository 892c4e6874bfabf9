import fs from 'node:fs';
import path from 'node:path';
import type { ChangedTask, ConfigDiff } from '../config/diff.js';
import { planChange } from '../core/reload-plan.js';
import type { ElsewhereTask, PlanEffect, PlanResult } from '../shared/protocol.js';
import type { ConfigIssue, TaskSpec } from '../shared/types.js';

/** A config diff as `plan` and `reload` answer it: built here only. `elsewhere`: tasks not for this host. */
export function planResult(delta: ConfigDiff, errors: ConfigIssue[], keptFiles: string[] = [], elsewhere: readonly TaskSpec[] = []): PlanResult {
  return {
    added: delta.added.map((t) => t.name),
    removed: delta.removed.map((t) => t.name),
    changed: delta.changed.map((c) => ({ name: c.after.name, keys: c.keys, effect: changeEffect(c) })),
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

/** What applying a changed task does to its processes, in one word: from the plan reload carries out (core/reload-plan). */
export function changeEffect(c: ChangedTask): PlanEffect {
  return planChange(c.before, c.after, c.keys).effect;
}

/**
 * For the daemon log after a reload: each file that had errors and has none now, and what
 * was applied from it (`tasks/a.yaml is valid again; applied: +x ~y`, or `… was removed, and
 * its errors with it` for a file deleted), so the log's last word on it is not its old error.
 */
export function validAgainLines(before: readonly ConfigIssue[], after: readonly ConfigIssue[], delta: ConfigDiff, dirs: { tasks: string; display: string }, exists: (file: string) => boolean = fs.existsSync): string[] {
  const stillBroken = new Set(after.map((e) => e.file));
  const fixed = [...new Set(before.map((e) => e.file))].filter((f) => !stillBroken.has(f)).sort();
  return fixed.map((file) => {
    // Issues name a file as shown (tasks/a.yaml); a task's source is its absolute path.
    const abs = path.join(dirs.tasks, path.relative(dirs.display, file));
    const fromFile = (t: TaskSpec) => t.source.file === abs;
    const names = [
      ...delta.added.filter(fromFile).map((t) => `+${t.name}`),
      ...delta.removed.filter(fromFile).map((t) => `-${t.name}`),
      ...delta.changed.filter((c) => fromFile(c.after) || fromFile(c.before)).map((c) => `~${c.after.name} (${c.keys.join(', ')})`),
    ];
    // A broken file deleted has no errors either, but it is not "valid again".
    if (!exists(abs)) return `${file} was removed, and its errors with it; applied: ${names.length ? names.join(' ') : 'no task changed'}`;
    return `${file} is valid again; applied: ${names.length ? names.join(' ') : 'no task changed (its tasks were kept as they were)'}`;
  });
}
