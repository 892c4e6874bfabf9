import os from 'node:os';
import { partitionForHost } from '../core/host-select.js';
import path from 'node:path';
import { emptyHostSettings } from '../config/host-file.js';
import type { HostSettingsResult } from '../config/host-settings.js';
import { ChildConfigReader, type ConfigReader } from './config-reader.js';
import type { ConfigIssue, ConfigSet, HostSettings, NotifierSpec, TaskSpec } from '../shared/types.js';

export interface EffectiveConfig {
  /** What should run: valid files' tasks, plus the last good tasks of files that are now invalid. */
  tasks: TaskSpec[];
  /** Tasks whose `hosts:` do not select this host (labels in jobctl.yaml, hostname): not run here. */
  elsewhere: TaskSpec[];
  notifiers: NotifierSpec[];
  /** `<home>/jobctl.yaml` as applied: the last valid version while the file is invalid. */
  host: HostSettings;
  /** Problems in the directory (and jobctl.yaml) as they are now. */
  errors: ConfigIssue[];
  /** Files whose last good version is kept because the current one is invalid. */
  keptFiles: string[];
}

export interface LoadedConfig {
  effective: EffectiveConfig;
  set: ConfigSet;
  host?: HostSettingsResult;
}

/**
 * The task directory as the daemon applies it: an invalid file never stops what runs.
 * For each file the last version that validated is remembered; while the file is
 * invalid, its tasks stay as they were. A deleted file's tasks go.
 */
export class ConfigState {
  private lastGood = new Map<string, { tasks: TaskSpec[]; notifiers: NotifierSpec[] }>();
  private current: EffectiveConfig = { tasks: [], elsewhere: [], notifiers: [], host: emptyHostSettings(), errors: [], keptFiles: [] };

  /** `home`: where jobctl.yaml is read; without it, host settings stay empty. */
  constructor(
    private readonly tasksDir: string,
    private readonly displayDir = 'tasks',
    private readonly home?: string,
    /** This host's name for `hosts:` globs. @default os.hostname() */
    readonly hostname: string = os.hostname(),
    /** How the files are read. @default a short-lived child per read (zod and yaml never stay resident) */
    readonly reader: ConfigReader = new ChildConfigReader(),
  ) {}

  get effective(): EffectiveConfig {
    return this.current;
  }

  /**
   * Read the directory and compute what would run, without committing to it. `from`: read
   * another directory in tasks/'s place (`plan --rev`/`--dir`); its paths stay its own.
   */
  async load(from: string = this.tasksDir): Promise<LoadedConfig> {
    const { host, set } = await this.reader.read({
      from, displayDir: this.displayDir, notifiersInForce: this.current.host.notifiers.map((n) => n.name), ...(this.home !== undefined ? { home: this.home } : {}),
    });
    const effective = this.compute(set, from);
    if (host) {
      // An invalid jobctl.yaml keeps the settings in force, as an invalid task file keeps its tasks.
      effective.host = host.errors.length ? this.current.host : host.settings;
      // Only a jobctl.yaml that was once valid has a last good version to keep.
      if (host.errors.length && this.hostWasValid) effective.keptFiles.push('jobctl.yaml');
      const names = new Set(effective.notifiers.map((n) => n.name));
      effective.notifiers.push(...effective.host.notifiers.filter((n) => !names.has(n.name)));
      effective.errors = [...host.errors, ...effective.errors];
    }
    const { here, elsewhere } = partitionForHost([...effective.tasks, ...effective.elsewhere], { hostname: this.hostname, labels: effective.host.labels });
    effective.tasks = here;
    effective.elsewhere = elsewhere;
    return { effective, set, ...(host ? { host } : {}) };
  }

  /** End the reader's processes (the daemon stops); later loads fail. */
  close(): Promise<void> {
    return this.reader.close();
  }

  /** Task files (absolute) the last applied load could not read: unreadable, or a broken symlink. */
  get unreadableFiles(): string[] {
    return this.unreadable;
  }
  private unreadable: string[] = [];
  private hostWasValid = false;

  /** Make a loaded config the current one (once it is applied). */
  commit(loaded: LoadedConfig): void {
    this.current = loaded.effective;
    if (loaded.host && loaded.host.errors.length === 0) this.hostWasValid = true;
    this.remember(loaded.set);
    this.unreadable = this.unreadableIn(loaded.set).map((f) => f.path);
  }

  /** Task files that are there but could not be read, as {file (shown), path (absolute)}. */
  private unreadableIn(set: ConfigSet): Array<{ file: string; path: string }> {
    return set.errors
      .filter((e) => e.line === 0 && e.message.startsWith('cannot read'))
      .map((e) => ({ file: e.file, path: path.join(this.tasksDir, path.relative(this.displayDir, e.file)) }));
  }

  private compute(set: ConfigSet, from: string = this.tasksDir): EffectiveConfig {
    // The directory itself is gone or unreadable: that is an error too, and everything stays.
    if (set.files.length === 0 && set.errors.length > 0) {
      return { tasks: this.current.tasks, elsewhere: this.current.elsewhere, notifiers: this.current.notifiers, host: this.current.host, errors: set.errors, keptFiles: this.current.tasks.length ? [this.displayDir] : [] };
    }
    const tasks = new Map<string, TaskSpec>();
    const notifiers = new Map<string, NotifierSpec>();
    const keptFiles: string[] = [];
    for (const t of set.tasks) tasks.set(t.name, t);
    for (const n of set.notifiers) notifiers.set(n.name, n);
    // Files with errors, and files that exist but cannot be read (mode 000, broken symlink): their last good version stays.
    const failing = [...set.files.filter((f) => f.errors > 0).map((f) => ({ file: f.file, path: f.path })), ...this.unreadableIn(set)];
    for (const f of failing) {
      // (Read from elsewhere: the last good version of the same file of tasks/.)
      const good = this.lastGood.get(from === this.tasksDir ? f.path : path.join(this.tasksDir, path.relative(from, f.path)));
      if (!good) continue;
      keptFiles.push(f.file);
      for (const t of good.tasks) if (!tasks.has(t.name)) tasks.set(t.name, t);
      for (const n of good.notifiers) if (!notifiers.has(n.name)) notifiers.set(n.name, n);
    }
    return { tasks: [...tasks.values()], elsewhere: [], notifiers: [...notifiers.values()], host: this.current.host, errors: set.errors, keptFiles };
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
