import type { StateStore } from './state-store.js';

/**
 * The two small per-task facts the controller keeps in db.json, each behind one accessor so
 * nothing else reaches into the store's data: when a cron task last fired (for catch-up and
 * so an instant never fires twice), and a service's manual instance count (`jobctl scale`).
 */
export interface Marks<T> {
  get(task: string): T | undefined;
  set(task: string, value: T): void;
  delete(task: string): void;
  entries(): Array<[string, T]>;
}

export function lastFiredMarks(store: StateStore): Marks<number> {
  return {
    get: (task) => store.lastScheduled(task),
    set: (task, at) => store.setLastScheduled(task, at),
    delete: (task) => store.deleteLastScheduled(task),
    entries: () => store.lastScheduledEntries(),
  };
}

export function manualScaleMarks(store: StateStore): Marks<number> {
  return {
    get: (task) => store.manualScale(task),
    set: (task, count) => store.setManualScale(task, count),
    delete: (task) => void store.deleteManualScale(task),
    entries: () => store.manualScales(),
  };
}

/** Marks in memory, for tests. */
export function memoryMarks<T>(): Marks<T> {
  const m = new Map<string, T>();
  return {
    get: (t) => m.get(t),
    set: (t, v) => void m.set(t, v),
    delete: (t) => void m.delete(t),
    entries: () => [...m.entries()],
  };
}
