import path from 'node:path';
import { loadTaskDir } from '../config/load.js';
import type { ConfigIssue, ConfigSet, NotifierSpec, TaskSpec } from '../shared/types.js';

export interface EffectiveConfig {
  /** What should run: valid files' tasks, plus the last good tasks of files that are now invalid. */
  tasks: TaskSpec[];
  notifiers: NotifierSpec[];
  /** Problems in the directory as it is now. */
  errors: ConfigIssue[];
  /** Files whose last good version is kept because the current one is invalid. */
  keptFiles: string[];
}

export interface LoadedConfig {
  effective: EffectiveConfig;
  set: ConfigSet;
}

/**
 * The task directory as the daemon applies it: an invalid file never stops what runs.
 * For each file the last version that validated is remembered; while the file is
 * invalid, its tasks stay as they were. A deleted file's tasks go.
 */
export class ConfigState {
  private lastGood = new Map<string, { tasks: TaskSpec[]; notifiers: NotifierSpec[] }>();
  private current: EffectiveConfig = { tasks: [], notifiers: [], errors: [], keptFiles: [] };

  constructor(private readonly tasksDir: string, private readonly displayDir = 'tasks') {}

  get effective(): EffectiveConfig {
    return this.current;
  }

  /** Read the directory and compute what would run, without committing to it. */
  load(): LoadedConfig {
    const set = loadTaskDir(this.tasksDir, this.displayDir);
    return { effective: this.compute(set), set };
  }

  /** Task files (absolute) the last applied load could not read: unreadable, or a broken symlink. */
  get unreadableFiles(): string[] {
    return this.unreadable;
  }
  private unreadable: string[] = [];

  /** Make a loaded config the current one (once it is applied). */
  commit(loaded: LoadedConfig): void {
    this.current = loaded.effective;
    this.remember(loaded.set);
    this.unreadable = this.unreadableIn(loaded.set).map((f) => f.path);
  }

  /** Task files that are there but could not be read, as {file (shown), path (absolute)}. */
  private unreadableIn(set: ConfigSet): Array<{ file: string; path: string }> {
    return set.errors
      .filter((e) => e.line === 0 && e.message.startsWith('cannot read'))
      .map((e) => ({ file: e.file, path: path.join(this.tasksDir, path.relative(this.displayDir, e.file)) }));
  }

  private compute(set: ConfigSet): EffectiveConfig {
    // The directory itself is gone or unreadable: that is an error too, and everything stays.
    if (set.files.length === 0 && set.errors.length > 0) {
      return { tasks: this.current.tasks, notifiers: this.current.notifiers, errors: set.errors, keptFiles: this.current.tasks.length ? [this.displayDir] : [] };
    }
    const tasks = new Map<string, TaskSpec>();
    const notifiers = new Map<string, NotifierSpec>();
    const keptFiles: string[] = [];
    for (const t of set.tasks) tasks.set(t.name, t);
    for (const n of set.notifiers) notifiers.set(n.name, n);
    // Files with errors, and files that exist but cannot be read (mode 000, broken symlink): their last good version stays.
    const failing = [...set.files.filter((f) => f.errors > 0).map((f) => ({ file: f.file, path: f.path })), ...this.unreadableIn(set)];
    for (const f of failing) {
      const good = this.lastGood.get(f.path);
      if (!good) continue;
      keptFiles.push(f.file);
      for (const t of good.tasks) if (!tasks.has(t.name)) tasks.set(t.name, t);
      for (const n of good.notifiers) if (!notifiers.has(n.name)) notifiers.set(n.name, n);
    }
    return { tasks: [...tasks.values()], notifiers: [...notifiers.values()], errors: set.errors, keptFiles };
  }

  private remember(set: ConfigSet): void {
    if (set.files.length === 0 && set.errors.length > 0) return; // keep what was known
    const present = new Set([...set.files.map((f) => f.path), ...this.unreadableIn(set).map((f) => f.path)]);
    for (const p of [...this.lastGood.keys()]) if (!present.has(p)) this.lastGood.delete(p);
    for (const f of set.files) {
      if (f.errors > 0) continue;
      this.lastGood.set(f.path, {
        tasks: set.tasks.filter((t) => t.source.file === f.path),
        notifiers: set.notifiers.filter((n) => n.source.file === f.path),
      });
    }
  }
}
