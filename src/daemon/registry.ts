import { EventEmitter } from 'node:events';
import { JobctlError, isJobctlError } from '../shared/errors.js';
import type { TaskStatus } from '../shared/protocol.js';
import type { RunRecord, TaskKind, TaskSpec } from '../shared/types.js';
import type { RunOptions, TaskNotice, TaskRunner } from '../runtime/task-runner.js';
import { didYouMean } from '../config/suggest.js';

export type { TaskNotice } from '../runtime/task-runner.js';

/** Makes the runner of a spec (the one place that knows which class serves which kind). */
export interface RunnerFactory {
  create(spec: TaskSpec, opts: { catchUp: boolean }): TaskRunner;
}

export interface RegistryDeps {
  factory: RunnerFactory;
  /** Coalescing window of 'state' events. @default 50 */
  stateDelayMs?: number;
}

const KIND_WORD: Record<TaskKind, string> = { cron: 'a cron task', daemon: 'a daemon task' };

/**
 * The tasks the daemon runs, by name: holds one runner per task, creates and disposes
 * runners, applies config changes, and passes control requests on. It never asks a runner
 * which kind it is; each runner owns its task's life.
 * Events: 'state' (name; coalesced), 'removed' (name), 'notify' (TaskNotice), 'warning' (string),
 * 'run' (RunRecord: every change of a cron run's record).
 */
export class TaskRegistry extends EventEmitter {
  private readonly runners = new Map<string, TaskRunner>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RegistryDeps) {
    super();
  }

  specs(): TaskSpec[] {
    return [...this.runners.values()].map((r) => r.spec);
  }

  names(): string[] {
    return [...this.runners.keys()].sort();
  }

  get(name: string): TaskSpec | undefined {
    return this.runners.get(name)?.spec;
  }

  has(name: string): boolean {
    return this.runners.has(name);
  }

  /**
   * The runner of a task: NOT_FOUND (with a suggestion), or WRONG_KIND when `kind` is given
   * and differs; `why` finishes that message (e.g. "scale applies to daemon tasks").
   */
  require(name: string, kind?: TaskKind, why?: string): TaskRunner {
    const r = this.runners.get(name);
    if (!r) throw new JobctlError('NOT_FOUND', `no task named "${name}"${didYouMean(name, [...this.runners.keys()])}; \`jobctl status\` lists them`);
    if (kind !== undefined && r.kind !== kind) {
      throw new JobctlError('WRONG_KIND', `task "${name}" is ${KIND_WORD[r.kind]}; ${why ?? `this is for ${KIND_WORD[kind].slice(2)}s`}`);
    }
    return r;
  }

  /** Register a task; start (or schedule) it when enabled. `catchUp`: missed cron firings follow `catchup`. */
  async add(spec: TaskSpec, opts: { catchUp?: boolean } = {}): Promise<void> {
    if (this.runners.has(spec.name)) throw new JobctlError('ALREADY_RUNNING', `task "${spec.name}" is already registered`);
    const runner = this.deps.factory.create(spec, { catchUp: opts.catchUp ?? false });
    this.runners.set(spec.name, runner);
    runner.on('state', () => this.touch(spec.name));
    runner.on('warning', (w: string) => this.emit('warning', w));
    runner.on('notify', (n: TaskNotice) => this.emit('notify', n));
    runner.on('run', (r: RunRecord) => this.emit('run', r));
    if (spec.enabled) await runner.start();
    this.touch(spec.name);
  }

  /** Stop and forget a task. */
  async remove(name: string): Promise<void> {
    const r = this.runners.get(name);
    if (!r) return;
    // It shows (stopping) until its processes are gone.
    await r.dispose();
    if (this.runners.get(name) === r) this.runners.delete(name);
    this.dirty.delete(name);
    this.emit('removed', name);
  }

  /** Apply a changed spec; `keys` are the TaskSpec keys that differ. */
  async update(spec: TaskSpec, keys: string[]): Promise<void> {
    const r = this.require(spec.name);
    if (!(await r.update(spec, keys))) {
      // The runner cannot take this change in place: a fresh one.
      await r.dispose();
      this.runners.delete(spec.name);
      await this.add(spec);
      return;
    }
    this.touch(spec.name);
  }

  // ---- control ----

  async start(name: string): Promise<void> {
    await this.require(name).start();
    this.touch(name);
  }

  async stop(name: string): Promise<void> {
    await this.require(name).stop();
    this.touch(name);
  }

  async restart(name: string): Promise<void> {
    await this.require(name).restart();
    this.touch(name);
  }

  /** Trigger a cron run now (the record is returned); start a service. */
  async run(name: string, opts?: RunOptions): Promise<RunRecord | undefined> {
    const r = await this.require(name).run(opts);
    this.touch(name);
    return r;
  }

  /** Send a signal to a task's live process groups; NOT_RUNNING when there is none. */
  signal(name: string, sig: NodeJS.Signals): number {
    const n = this.require(name).signal(sig);
    if (n === 0) throw new JobctlError('NOT_RUNNING', `task "${name}" has no running process to signal`);
    return n;
  }

  // ---- status ----

  status(name: string): TaskStatus {
    return this.require(name).status();
  }

  statusAll(): TaskStatus[] {
    return this.names().map((n) => this.status(n));
  }

  /** Mark a task changed; 'state' events are coalesced per window. */
  touch(name: string): void {
    if (this.listenerCount('state') === 0) return;
    this.dirty.add(name);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const names = [...this.dirty];
      this.dirty.clear();
      for (const n of names) if (this.runners.has(n)) this.emit('state', n);
    }, this.deps.stateDelayMs ?? 50);
  }

  /** Stop every task (in parallel) and release everything. `now`: SIGKILL the groups first. Safe to call twice. */
  async close(now = false): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const all = [...this.runners.values()];
    this.runners.clear();
    if (now) for (const r of all) r.signal('SIGKILL');
    await Promise.all(all.map(async (r) => {
      try {
        await r.dispose();
      } catch (err) {
        if (!isJobctlError(err)) throw err;
      }
    }));
  }
}
