import fs from 'node:fs';
import path from 'node:path';
import type { CallbackItem } from '../../core/xxljob/wire.js';

/**
 * Callbacks not yet confirmed by the admin, one small JSON file each under
 * `state/xxljob/callbacks/`, written atomically before anything is sent, removed once the
 * admin answered code 200. They survive a daemon restart.
 */
export class CallbackStore {
  private readonly items = new Map<number, CallbackItem>();

  constructor(private readonly dir: string, onWarning?: (w: string) => void) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
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
        this.items.set(item.logId, item);
      } catch (e) {
        onWarning?.(`xxljob: unreadable pending callback ${p} set aside (${(e as Error).message})`);
        fs.renameSync(p, `${p}.bad`);
      }
    }
  }

  /** Keep a callback on disk (replacing one for the same logId). */
  add(item: CallbackItem): void {
    const p = this.file(item.logId);
    fs.writeFileSync(`${p}.tmp`, JSON.stringify(item));
    fs.renameSync(`${p}.tmp`, p);
    this.items.set(item.logId, item);
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
