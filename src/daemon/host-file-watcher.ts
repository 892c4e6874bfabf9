import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { HOST_SETTINGS_FILE } from '../config/host-file.js';

/**
 * Watches `<home>/jobctl.yaml` (created, changed, removed) and calls onChange once per burst,
 * `debounceMs` after the last event. Only the home directory itself is watched, not below it.
 */
export class HostFileWatcher {
  private readonly watcher: FSWatcher;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  readonly ready: Promise<void>;

  constructor(home: string, private readonly onChange: () => void, private readonly debounceMs = 100) {
    const file = path.join(home, HOST_SETTINGS_FILE);
    this.watcher = watch(home, {
      ignoreInitial: true,
      depth: 0,
      ignored: (p: string) => p !== home && p !== file,
    });
    this.ready = new Promise((resolve) => this.watcher.once('ready', () => resolve()));
    const fire = (p: string) => {
      if (p !== file) return;
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
