import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

const TASK_FILE = /\.ya?ml$/i;

/**
 * Watches the task directory (subfolders too) and calls onChange once per burst of
 * changes to *.yaml / *.yml files, `debounceMs` after the last one. Editors that save by
 * rename or write twice make one reload.
 */
export class TaskWatcher {
  private readonly watcher: FSWatcher;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  readonly ready: Promise<void>;

  constructor(dir: string, private readonly onChange: () => void, private readonly debounceMs = 100) {
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
      if (!TASK_FILE.test(p)) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.onChange();
      }, this.debounceMs);
    };
    this.watcher.on('add', fire).on('change', fire).on('unlink', fire);
    this.watcher.on('error', () => undefined);
  }

  /** Safe to call twice. */
  close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.closing ??= this.watcher.close();
    return this.closing;
  }
}
