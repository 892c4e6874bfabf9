import fs from 'node:fs';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { errorMessage } from '../shared/errors.js';
import { MAX_INSTANCES } from '../shared/limits.js';
import { ChildJournal, type ChildRecord } from './child-journal.js';
import { replaceFile } from './new-file.js';

export type { ChildRecord } from './child-journal.js';

/** db.json: what is small and rewritten whole. Run history and child records live elsewhere. */
export interface DbData {
  version: 2;
  /** Per cron task: the last scheduled time that was handled (epoch ms), for catch-up. */
  lastScheduled: Record<string, number>;
  /** Per service task: a manual instance count set by `jobctl scale`. */
  manualScale: Record<string, number>;
}

export function emptyDb(): DbData {
  return { version: 2, lastScheduled: {}, manualScale: {} };
}

export interface StateStoreOptions {
  /** Coalescing window: at most one write of db.json per this many ms. @default 200 */
  writeDelayMs?: number;
  /** The child journal. @default `children.jsonl` beside db.json */
  childrenFile?: string;
  onWarning?: (message: string) => void;
}

/**
 * The daemon's small, whole state: db.json through lowdb (atomic writes: temp file +
 * rename; changes coalesced, so a thousand firings a minute are not a thousand rewrites),
 * plus the child journal (`ChildJournal`), which is appended at once. Read and changed only
 * through the accessors below. A torn or corrupt db.json is moved aside and the store
 * starts clean, with a warning (so is a version-1 db.json: only development builds before
 * 0.1.0's run-history files wrote one, and no release did). It never throws at open on content.
 */
export class StateStore {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  /** The last write of db.json failed (said once, until one works again). */
  private writeFailing = false;
  /** Writes of db.json done, for tests and benchmarks. */
  writes = 0;

  private constructor(
    private readonly db: Low<DbData>,
    readonly file: string,
    readonly journal: ChildJournal,
    private readonly opts: StateStoreOptions,
  ) {}

  static async open(file: string, opts: StateStoreOptions = {}): Promise<StateStore> {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    const journal = ChildJournal.open(opts.childrenFile ?? path.join(dir, 'children.jsonl'), opts.onWarning ? { onWarning: opts.onWarning } : {});
    const db = new Low<DbData>(new NoFollowJsonFile<DbData>(file), emptyDb());
    const store = new StateStore(db, file, journal, opts);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return store;
      store.moveAside(errorMessage(e));
      return store;
    }
    if (isDbV2(raw)) {
      db.data = { ...emptyDb(), ...raw, ...store.valid(raw) };
    } else {
      store.moveAside(isVersion(raw, 1) ? 'version 1, from a development build before run history had files of its own' : 'unexpected content');
    }
    return store;
  }

  /**
   * Only values the daemon could have written itself: a fire time is a finite number, a
   * scale override an instance count the protocol accepts. Anything else (an old or
   * hand-edited file) is dropped with a warning, never applied.
   */
  private valid(d: { lastScheduled: unknown; manualScale: unknown }): Pick<DbData, 'lastScheduled' | 'manualScale'> {
    const dropped: string[] = [];
    const pick = (what: string, v: unknown, ok: (n: unknown) => n is number): Record<string, number> => {
      const out: Record<string, number> = {};
      if (typeof v !== 'object' || v === null) return out;
      for (const [k, n] of Object.entries(v)) {
        if (ok(n)) out[k] = n;
        else dropped.push(`${what} of "${k}" (${JSON.stringify(n) ?? String(n)})`);
      }
      return out;
    };
    const lastScheduled = pick('fire time', d.lastScheduled, (n): n is number => typeof n === 'number' && Number.isFinite(n));
    const manualScale = pick('scale override', d.manualScale, (n): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_INSTANCES);
    if (dropped.length) this.opts.onWarning?.(`${this.file}: dropped what no daemon writes: ${dropped.join(', ')}`);
    return { lastScheduled, manualScale };
  }

  private moveAside(why: string): void {
    const aside = `${this.file}.corrupt-${Date.now()}`;
    try {
      fs.renameSync(this.file, aside);
      this.opts.onWarning?.(`state file ${this.file} was unreadable (${why}); moved it to ${aside} and started clean`);
    } catch {
      this.opts.onWarning?.(`state file ${this.file} was unreadable (${why}); started clean`);
    }
  }

  // ---- last fire times (cron catch-up) ----

  lastScheduled(task: string): number | undefined {
    return this.db.data.lastScheduled[task];
  }

  setLastScheduled(task: string, at: number): void {
    if (this.db.data.lastScheduled[task] === at) return;
    this.db.data.lastScheduled[task] = at;
    this.changed();
  }

  deleteLastScheduled(task: string): void {
    if (!(task in this.db.data.lastScheduled)) return;
    delete this.db.data.lastScheduled[task];
    this.changed();
  }

  /** Every last fire time, by task. */
  lastScheduledEntries(): Array<[task: string, at: number]> {
    return Object.entries(this.db.data.lastScheduled);
  }

  // ---- manual scale overrides (`jobctl scale`) ----

  manualScale(task: string): number | undefined {
    return this.db.data.manualScale[task];
  }

  /** Every override, by task. */
  manualScales(): Array<[task: string, count: number]> {
    return Object.entries(this.db.data.manualScale);
  }

  setManualScale(task: string, count: number): void {
    if (this.db.data.manualScale[task] === count) return;
    this.db.data.manualScale[task] = count;
    this.changed();
  }

  /** Returns whether there was one. */
  deleteManualScale(task: string): boolean {
    if (!(task in this.db.data.manualScale)) return false;
    delete this.db.data.manualScale[task];
    this.changed();
    return true;
  }

  // ---- child records (the start-up sweep relies on them) ----

  /** Children recorded and not forgotten, by key (`task/instance` or `task/run/<id>`). */
  children(): Record<string, ChildRecord> {
    return this.journal.children();
  }

  /** A child process started: appended to the journal before this returns. */
  recordChild(key: string, task: string, proc: { pid: number; pgid: number; startTime?: number; cgroup?: string }): void {
    this.journal.add(key, {
      pid: proc.pid, pgid: proc.pgid, task,
      ...(proc.startTime !== undefined ? { startTime: proc.startTime } : {}),
      ...(proc.cgroup !== undefined ? { cgroup: proc.cgroup } : {}),
    });
  }

  /** The child's group is gone: nothing to sweep for it any more. */
  forgetChild(key: string): void {
    this.journal.remove(key);
  }

  /** After the start-up sweep: nothing left to sweep. */
  clearChildren(): void {
    this.journal.clear();
  }

  /** Mark db.json changed; it is written within the coalescing window. */
  private changed(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.opts.writeDelayMs ?? 200);
  }

  /** Write db.json now if anything changed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing) await this.writing;
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    this.writing = this.db.write().then(
      () => {
        this.writes++;
        if (this.writeFailing) this.opts.onWarning?.(`${this.file} is written again`);
        this.writeFailing = false;
      },
      (e: unknown) => {
        this.dirty = true;
        if (!this.writeFailing) this.opts.onWarning?.(`could not write ${this.file}: ${errorMessage(e)}; will retry (said once)`);
        this.writeFailing = true;
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
    this.journal.close();
  }
}

/**
 * lowdb's JSONFile, written as the rest of state/ is: its temp file is created anew, never
 * through a symlink or a hard link planted at its name (see new-file.ts). The store reads
 * db.json itself at open; writes are one at a time (StateStore.flush).
 */
class NoFollowJsonFile<T> implements Adapter<T> {
  constructor(private readonly file: string) {}

  async read(): Promise<T | null> {
    try {
      return JSON.parse(await fs.promises.readFile(this.file, 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async write(data: T): Promise<void> {
    replaceFile(this.file, path.join(path.dirname(this.file), `.${path.basename(this.file)}.tmp`), JSON.stringify(data, null, 2));
  }
}

function isVersion(v: unknown, version: number): boolean {
  return typeof v === 'object' && v !== null && (v as { version?: unknown }).version === version;
}

function isDbV2(v: unknown): v is DbData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return d.version === 2 && typeof d.lastScheduled === 'object' && d.lastScheduled !== null && typeof d.manualScale === 'object' && d.manualScale !== null;
}
