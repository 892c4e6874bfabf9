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
  return storeMarks(store, 'lastScheduled');
}

export function manualScaleMarks(store: StateStore): Marks<number> {
  return storeMarks(store, 'manualScale');
}

function storeMarks(store: StateStore, key: 'lastScheduled' | 'manualScale'): Marks<number> {
  const map = () => store.data[key];
  return {
    get: (task) => map()[task],
    set: (task, value) => {
      if (map()[task] === value) return;
      map()[task] = value;
      store.changed();
    },
    delete: (task) => {
      if (!(task in map())) return;
      delete map()[task];
      store.changed();
    },
    entries: () => Object.entries(map()),
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
