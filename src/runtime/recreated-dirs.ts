import fs from 'node:fs';

/**
 * Directories of state/ that a writer found missing (a user ran `rm -rf state/logs` to free
 * space) and created again. Writers recreate at the lowest level (jsonl.ts, log-file.ts); the
 * daemon subscribes once and says it in its log, one line per directory recreated.
 */
type Listener = (dir: string) => void;
const listeners = new Set<Listener>();

export function onRecreatedDir(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Create `dir` (and its parents) again; tells the listeners when something was missing. */
export function recreateDir(dir: string): void {
  const made = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (made === undefined) return;
  for (const fn of listeners) {
    try {
      fn(made);
    } catch {
      /* a listener must not stop a write */
    }
  }
}

export function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
