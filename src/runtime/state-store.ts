import fs from 'node:fs';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { RunRecord } from '../shared/types.js';

/** A child process the daemon started, recorded so a later daemon can sweep it. */
export interface ChildRecord {
  pid: number;
  pgid: number;
  /** /proc start time (clock ticks): a reused pid has another. */
  startTime?: number;
  task: string;
  /** The instance's or run's cgroup v2 directory, when it has one. */
  cgroup?: string;
}

export interface DbData {
  version: 1;
  /** Live children by key (`task/instance` or `task/run/<id>`). */
  children: Record<string, ChildRecord>;
  /** Cron run records per task, oldest first. */
  runs: Record<string, RunRecord[]>;
  /** Per cron task: the last scheduled time that was handled (epoch ms), for catch-up. */
  lastScheduled: Record<string, number>;
  /** Per daemon task: a manual instance count set by `jobctl scale`. */
  manualScale: Record<string, number>;
}

export function emptyDb(): DbData {
  return { version: 1, children: {}, runs: {}, lastScheduled: {}, manualScale: {} };
}

export interface StateStoreOptions {
  /** Coalescing window: at most one write per this many ms. @default 200 */
  writeDelayMs?: number;
  onWarning?: (message: string) => void;
}

/**
 * db.json through lowdb (atomic writes: temp file + rename). Changes are coalesced: many
 * mutations inside the write window become one write, so a thousand runs a minute are
 * not a thousand rewrites. A torn or corrupt file is moved aside and the store starts
 * clean, with a warning; it never throws at open.
 */
export class StateStore {
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  /** Writes done, for tests and benchmarks. */
  writes = 0;

  private constructor(
    private readonly db: Low<DbData>,
    readonly file: string,
    private readonly opts: StateStoreOptions,
  ) {}

  get data(): DbData {
    return this.db.data;
  }

  static async open(file: string, opts: StateStoreOptions = {}): Promise<StateStore> {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Low<DbData>(new JSONFile<DbData>(file), emptyDb());
    try {
      await db.read();
      if (!isDbData(db.data)) throw new Error('unexpected content');
      db.data = { ...emptyDb(), ...db.data };
    } catch (e) {
      const aside = `${file}.corrupt-${Date.now()}`;
      try {
        fs.renameSync(file, aside);
        opts.onWarning?.(`state file ${file} was unreadable (${(e as Error).message}); moved it to ${aside} and started clean`);
      } catch {
        opts.onWarning?.(`state file ${file} was unreadable (${(e as Error).message}); started clean`);
      }
      db.data = emptyDb();
    }
    return new StateStore(db, file, opts);
  }

  /** A child process started: written within 10 ms, so a crash right after cannot lose it. */
  recordChild(key: string, task: string, proc: { pid: number; pgid: number; startTime?: number; cgroup?: string }): void {
    this.db.data.children[key] = { pid: proc.pid, pgid: proc.pgid, task, ...(proc.startTime !== undefined ? { startTime: proc.startTime } : {}), ...(proc.cgroup ? { cgroup: proc.cgroup } : {}) };
    this.changed(true);
  }

  /** The child's group is gone: nothing to sweep for it any more. */
  forgetChild(key: string): void {
    if (!(key in this.db.data.children)) return;
    delete this.db.data.children[key];
    this.changed();
  }

  /**
   * Mark the data changed; it is written within the coalescing window. `urgent` shortens
   * the window to 10 ms.
   */
  changed(urgent = false): void {
    if (this.closed) return;
    this.dirty = true;
    const delay = urgent ? Math.min(10, this.opts.writeDelayMs ?? 200) : this.opts.writeDelayMs ?? 200;
    if (this.timer && (!urgent || this.timerDue <= Date.now() + delay)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }

  /** Write now if anything changed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    this.writing = this.db.write().then(
      () => {
        this.writes++;
      },
      (e: unknown) => {
        this.dirty = true;
        this.opts.onWarning?.(`could not write ${this.file}: ${(e as Error).message}; will retry`);
        if (!this.closed) this.changed();
      },
    ).finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  /** Flush and stop writing. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }
}

function isDbData(v: unknown): v is DbData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return d.version === 1 && typeof d.children === 'object' && typeof d.runs === 'object';
}
