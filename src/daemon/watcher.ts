import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

const TASK_FILE = /\.ya?ml$/i;

export interface TaskWatcherOptions {
  /** Quiet time after the last change before onChange runs. @default 100 */
  debounceMs?: number;
  /** A burst that never goes quiet still runs onChange this long after its first change. @default 1000 */
  maxWaitMs?: number;
  /** How often files that could not be read are checked again. @default 1000 */
  recheckMs?: number;
  /** Called at the first change of a burst, before the quiet time (the daemon readies its config reader). */
  onBurst?: () => void;
}

/** Whether a file can be read now (a symlink: its target). */
function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Watches the task directory (subfolders too) and calls onChange once per burst of
 * changes to *.yaml / *.yml files, `debounceMs` after the last one (`maxWaitMs` after the first at most). Editors that save by
 * rename or write twice make one reload. Besides chokidar's events it reacts to raw
 * renames (a broken symlink added or removed makes no chokidar event), and it polls the
 * files the last load could not read (`recheck`), so a file that becomes readable or a
 * symlink whose target appears is picked up without `jobctl reload`.
 */
export class TaskWatcher {
  private readonly watcher: FSWatcher;
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  readonly ready: Promise<void>;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly recheckMs: number;
  private readonly onBurst: (() => void) | undefined;
  /** When the first change of the burst that is waiting came (Date.now()). */
  private burstStart: number | undefined;

  constructor(dir: string, private readonly onChange: () => void, opts: TaskWatcherOptions | number = {}) {
    const o = typeof opts === 'number' ? { debounceMs: opts } : opts;
    this.debounceMs = o.debounceMs ?? 100;
    this.maxWaitMs = Math.max(this.debounceMs, o.maxWaitMs ?? 1000);
    this.recheckMs = o.recheckMs ?? 1000;
    this.onBurst = o.onBurst;
    this.watcher = watch(dir, {
      ignoreInitial: true,
      depth: 10,
      // chokidar 5 has no globs: filter here. Directories pass so subfolders are seen.
      ignored: (p: string, stats?: { isFile(): boolean }) => {
        const base = path.basename(p);
        if (p !== dir && base.startsWith('.')) return true;
        if (base === 'node_modules') return true;
        return stats?.isFile() === true && !TASK_FILE.test(base);
      },
    });
    this.ready = new Promise((resolve) => this.watcher.once('ready', () => resolve()));
    const fire = (p: string) => {
      if (TASK_FILE.test(p) && !path.basename(p).startsWith('.')) this.changed();
    };
    this.watcher.on('add', fire).on('change', fire).on('unlink', fire);
    this.watcher.on('raw', (_event: string, name: string | null) => {
      if (typeof name === 'string') fire(name);
    });
    this.watcher.on('error', () => undefined);
  }

  /**
   * One burst of changes (a save, a `git checkout` of many files) makes one onChange: it runs
   * once the files have been quiet for debounceMs, or maxWaitMs after the burst's first change.
   */
  private changed(): void {
    if (this.closing) return;
    if (this.timer) clearTimeout(this.timer);
    const now = Date.now();
    if (this.burstStart === undefined) this.onBurst?.();
    this.burstStart ??= now;
    const wait = Math.max(0, Math.min(this.debounceMs, this.burstStart + this.maxWaitMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.burstStart = undefined;
      this.onChange();
    }, wait);
  }

  /**
   * Files the last load could not read (unreadable, broken symlink): check them every
   * `recheckMs` and reload once one of them can be read. An empty list stops checking.
   */
  recheck(files: string[]): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
    if (files.length === 0 || this.closing) return;
    this.poll = setInterval(() => {
      if (files.some((f) => readable(f) || !fs.existsSync(path.dirname(f)))) {
        clearInterval(this.poll);
        this.poll = undefined;
        this.changed();
      }
    }, this.recheckMs);
    this.poll.unref();
  }

  /** Safe to call twice. */
  close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    this.closing ??= this.watcher.close();
    return this.closing;
  }
}
