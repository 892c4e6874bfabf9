import type { TaskSpec } from '../shared/types.js';

export interface ChangedTask {
  before: TaskSpec;
  after: TaskSpec;
  /** Top-level TaskSpec keys whose value differs, sorted. */
  keys: string[];
}

export interface ConfigDiff {
  added: TaskSpec[];
  removed: TaskSpec[];
  changed: ChangedTask[];
  unchanged: TaskSpec[];
}

/** Keys that say where a task is written, not how it runs: moving it does not restart it. */
const IGNORED_KEYS = new Set(['source']);

/** What applying `next` over `previous` changes, by task name. Pure; used by `plan` and live reload. */
export function diff(previous: readonly TaskSpec[], next: readonly TaskSpec[]): ConfigDiff {
  const before = new Map(previous.map((t) => [t.name, t]));
  const after = new Map(next.map((t) => [t.name, t]));
  const out: ConfigDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [name, t] of after) {
    const old = before.get(name);
    if (!old) {
      out.added.push(t);
      continue;
    }
    const keys = changedKeys(old, t);
    if (keys.length) out.changed.push({ before: old, after: t, keys });
    else out.unchanged.push(t);
  }
  for (const [name, t] of before) if (!after.has(name)) out.removed.push(t);
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  out.added.sort(byName);
  out.removed.sort(byName);
  out.unchanged.sort(byName);
  out.changed.sort((a, b) => byName(a.after, b.after));
  return out;
}

export function changedKeys(a: TaskSpec, b: TaskSpec): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((k) => !IGNORED_KEYS.has(k) && !deepEqual((a as unknown as Record<string, unknown>)[k], (b as unknown as Record<string, unknown>)[k]))
    .sort();
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
