import fs from 'node:fs';
import path from 'node:path';
import { replaceFile } from '../../runtime/new-file.js';
import type { CallbackItem } from '../core/wire.js';

/**
 * Callbacks kept at most while the admin does not take them (an admin answering 500 for days):
 * each holds up to 4000 characters of output, in memory and on disk. Past it the oldest log's
 * callback is dropped, with a warning (the admin then shows that run as running until its own
 * lost-run check).
 */
export const MAX_PENDING_CALLBACKS = 10_000;

/**
 * Callbacks not yet confirmed by the admin, one small JSON file each under
 * `state/xxljob/callbacks/`, written atomically before anything is sent, removed once the
 * admin answered code 200. They survive a daemon restart. At most `max` are kept.
 */
export class CallbackStore {
  /** In the order they came (after a restart: by logId): the first is the oldest. */
  private readonly items = new Map<number, CallbackItem>();
  private dropped = 0;

  constructor(private readonly dir: string, private readonly onWarning?: (w: string) => void, private readonly max = MAX_PENDING_CALLBACKS) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const loaded: CallbackItem[] = [];
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      if (name.endsWith('.tmp')) {
        fs.rmSync(p, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const item = JSON.parse(fs.readFileSync(p, 'utf8')) as CallbackItem;
        if (typeof item.logId !== 'number' || typeof item.handleCode !== 'number') throw new Error('not a callback');
        loaded.push(item);
      } catch (e) {
        onWarning?.(`xxljob: unreadable pending callback ${p} set aside (${(e as Error).message})`);
        fs.renameSync(p, `${p}.bad`);
      }
    }
    for (const item of loaded.sort((a, b) => a.logId - b.logId)) this.items.set(item.logId, item);
    this.trim();
  }

  /** Keep a callback on disk (replacing one for the same logId). */
  add(item: CallbackItem): void {
    const p = this.file(item.logId);
    replaceFile(p, `${p}.tmp`, JSON.stringify(item));
    this.items.set(item.logId, item);
    this.trim();
  }

  /** Past the bound: the oldest callbacks go (the newest is never the one dropped). */
  private trim(): void {
    while (this.items.size > this.max) {
      const oldest = this.items.keys().next().value!;
      this.items.delete(oldest);
      fs.rmSync(this.file(oldest), { force: true });
      if (this.dropped++ % 1000 === 0) {
        this.onWarning?.(`xxljob: ${this.max} callbacks wait for the admin; the oldest (logId ${oldest}) is dropped, and ${this.dropped} so far: the admin will show those runs as running until its lost-run check`);
      }
    }
  }

  /** What still waits for the admin, oldest log first. */
  pending(): CallbackItem[] {
    return [...this.items.values()].sort((a, b) => a.logId - b.logId);
  }

  get size(): number {
    return this.items.size;
  }

  /** The admin confirmed these. */
  remove(logIds: readonly number[]): void {
    for (const id of logIds) {
      this.items.delete(id);
      fs.rmSync(this.file(id), { force: true });
    }
  }

  private file(logId: number): string {
    return path.join(this.dir, `${Math.trunc(logId)}.json`);
  }
}
