import { EventEmitter } from 'node:events';
import { JobctlError, isJobctlError } from '../shared/errors.js';
import type { RollingInfo, TaskStatus } from '../shared/protocol.js';
import type { RunRecord, TaskKind, TaskSpec } from '../shared/types.js';
import type { RunOptions, TaskNotice, TaskRunner } from '../runtime/task-runner.js';
import type { RunHistory } from '../runtime/run-history.js';
import { didYouMean } from '../shared/suggest.js';
import { dependencyEdges, stopWaves, waitReason } from '../core/start-order.js';
import { dependencyFacts } from './dependency-facts.js';

/** A line for the daemon's event log. */
export interface RegistryEvent {
  level: 'info' | 'warn' | 'error';
  task?: string;
  message: string;
}

export type { TaskNotice } from '../runtime/task-runner.js';

/** Makes the runner of a spec (the one place that knows which class serves which kind). */
export interface RunnerFactory {
  create(spec: TaskSpec, opts: { catchUp: boolean }): TaskRunner;
}

export interface RegistryDeps {
  factory: RunnerFactory;
  /** Run history: a removed task's records are forgotten. @default none kept */
  history?: Pick<RunHistory, 'forget'>;
  /** Coalescing window of 'state' events. @default 50 */
  stateDelayMs?: number;
}

const KIND_WORD: Record<TaskKind, string> = { cron: 'a cron task', daemon: 'a daemon task' };

/**
 * The tasks the daemon runs, by name: holds one runner per task, creates and disposes
 * runners, applies config changes, and passes control requests on. It never asks a runner
 * which kind it is; each runner owns its task's life.
 * Starts follow `depends_on`: a task whose dependencies have not reached their condition
 * waits (status says why) and starts when they have; stops of several tasks and the final
 * close go in reverse dependency order.
 * Events: 'state' (name; coalesced), 'removed' (name), 'notify' (TaskNotice), 'warning' (string),
 * 'run' (RunRecord: each change of a cron run), 'event' (RegistryEvent: for the daemon log).
 */
export class TaskRegistry extends EventEmitter {
  private readonly runners = new Map<string, TaskRunner>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Tasks asked to start whose dependencies have not reached their condition: the reason. */
  private readonly waiting = new Map<string, string>();
  /** Tasks registered whose start is queued (addQueued): the reason status shows meanwhile. */
  private readonly queued = new Map<string, string>();
  /** Called on the next 'state' of a task's runner (see `replaced`). */
  private readonly changeWaiters = new Map<string, Array<() => void>>();
  private gateTimer: NodeJS.Timeout | undefined;
  private closed = false;

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

  /** close() was called: no task takes a run any more. */
  get closing(): boolean {
    return this.closed;
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

  /**
   * Register a task; start (or schedule) it when enabled, unless `start` is false (a task the
   * user stopped, given a fresh runner). `catchUp`: missed cron firings follow `catchup`.
   */
  async add(spec: TaskSpec, opts: { catchUp?: boolean; start?: boolean } = {}): Promise<void> {
    const runner = this.register(spec, opts.catchUp ?? false);
    if (spec.enabled && opts.start !== false) await this.startWhenReady(runner);
    this.touch(spec.name);
  }

  /**
   * Register a task now and start it later with `startQueued` (the daemon's first start, paced
   * after its socket answers); until then status shows it waiting, with `reason`.
   */
  addQueued(spec: TaskSpec, opts: { catchUp?: boolean; reason: string }): void {
    this.register(spec, opts.catchUp ?? false);
    if (spec.enabled) this.queued.set(spec.name, opts.reason);
    this.touch(spec.name);
  }

  /** Start a task registered by `addQueued` (if it is still there, queued and enabled). */
  async startQueued(name: string): Promise<void> {
    const r = this.runners.get(name);
    if (!this.queued.delete(name) || !r || !r.spec.enabled) return;
    await this.startWhenReady(r);
    this.touch(name);
  }

  private register(spec: TaskSpec, catchUp: boolean): TaskRunner {
    // A reload that was under way when shutdown began must not start anything after it.
    if (this.closed) throw new JobctlError('SHUTTING_DOWN', `the daemon is shutting down; task "${spec.name}" was not started`);
    if (this.runners.has(spec.name)) throw new JobctlError('ALREADY_RUNNING', `task "${spec.name}" is already registered`);
    const runner = this.deps.factory.create(spec, { catchUp });
    this.runners.set(spec.name, runner);
    runner.on('state', () => {
      const waiters = this.changeWaiters.get(spec.name);
      if (waiters) {
        this.changeWaiters.delete(spec.name);
        for (const w of waiters) w();
      }
      this.touch(spec.name);
    });
    // New CPU/MEM figures: pushed to watchers, without re-checking what waits on dependencies.
    runner.on('metrics', () => this.pushState(spec.name));
    runner.on('warning', (w: string) => this.emit('warning', w));
    runner.on('notify', (n: TaskNotice) => this.emit('notify', n));
    runner.on('run', (r: RunRecord) => this.emit('run', r));
    runner.on('rolling', (r: RollingInfo) => this.onRolling(spec.name, r));
    return runner;
  }

  /**
   * Resolves once no process of the task is stopping (an update that restarts its processes
   * has replaced them), or after its stop_timeout + 5 s; at once for a task that is gone.
   * Lets a reload of many tasks keep only so many replacements under way.
   */
  async replaced(name: string): Promise<void> {
    const r = this.runners.get(name);
    if (!r) return;
    const deadline = Date.now() + r.spec.stopTimeoutMs + 5000;
    const stopping = () => this.runners.get(name) === r && (r.status().instances?.some((i) => i.state === 'stopping') ?? false);
    while (stopping() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        timer.unref();
        const list = this.changeWaiters.get(name) ?? [];
        list.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.changeWaiters.set(name, list);
      });
    }
  }

  // ---- start order (depends_on) ----

  /** Start now when the dependencies allow it; else wait, with the reason in status. */
  private async startWhenReady(runner: TaskRunner): Promise<void> {
    const name = runner.name;
    const reason = waitReason(runner.spec.dependsOn, (dep) => (this.runners.has(dep) ? dependencyFacts(this.status(dep)) : undefined));
    if (reason) {
      // Only a new reason is news: re-checking must not itself cause another check (no polling).
      if (this.waiting.get(name) !== reason) {
        this.emit('event', { level: 'info', task: name, message: reason } satisfies RegistryEvent);
        this.waiting.set(name, reason);
        this.pushState(name);
      }
      return;
    }
    if (this.waiting.delete(name)) this.emit('event', { level: 'info', task: name, message: 'dependencies ready: starting' } satisfies RegistryEvent);
    await runner.start();
    this.touch(name);
  }

  /** After any change, the waiting tasks whose dependencies are now ready start (checked once per tick). */
  private checkWaiting(): void {
    if (this.waiting.size === 0 || this.gateTimer) return;
    this.gateTimer = setTimeout(() => {
      this.gateTimer = undefined;
      for (const name of [...this.waiting.keys()].sort()) {
        const r = this.runners.get(name);
        if (!r) this.waiting.delete(name);
        else {
          void this.startWhenReady(r).catch((e: unknown) => {
            this.waiting.delete(name);
            this.emit('warning', `${name}: ${(e as Error).message}`);
          });
        }
      }
    }, 20);
  }

  /**
   * Stop several tasks, dependents before what they depend on (each wave in parallel). One
   * task that fails does not hold the others back: the failures are returned (`name: message`).
   */
  async stopMany(names: readonly string[]): Promise<Array<{ task: string; error: unknown }>> {
    const known = names.filter((n) => this.runners.has(n));
    const errors: Array<{ task: string; error: unknown }> = [];
    for (const wave of stopWaves(dependencyEdges(this.specs()), known)) {
      if (known.length > 1) this.emit('event', { level: 'info', message: `stopping ${wave.join(', ')}` } satisfies RegistryEvent);
      await Promise.all(wave.map(async (n) => {
        try {
          await this.stop(n);
        } catch (error) {
          errors.push({ task: n, error });
        }
      }));
    }
    return errors;
  }

  private onRolling(name: string, r: RollingInfo): void {
    this.touch(name);
    let message: string;
    if (r.state === 'done') message = `rolling restart done: ${r.done} of ${r.total} instances replaced`;
    else if (r.state === 'failed') message = `rolling restart stopped: ${r.message ?? 'failed'} (${r.done} of ${r.total} replaced; the rest keep their old processes)`;
    else if (r.instance !== undefined) message = `rolling restart: replacing instance ${r.instance} (${r.done} of ${r.total} done)`;
    else return;
    this.emit('event', { level: r.state === 'failed' ? 'error' : 'info', task: name, message } satisfies RegistryEvent);
  }

  /** Whether the task's runner can replace its processes one at a time (a capability, not a kind). */
  rollable(name: string): boolean {
    return typeof this.require(name).startRolling === 'function';
  }

  /** `jobctl restart --rolling`: starts the roll and returns; its progress is in status (`rolling`). */
  restartRolling(name: string, stepTimeoutMs: number): void {
    const r = this.require(name, 'daemon', 'a rolling restart replaces the instances of a daemon task');
    const notYet = this.waiting.get(name) ?? this.queued.get(name);
    if (notYet !== undefined) throw new JobctlError('NOT_RUNNING', `task "${name}" has not started: ${notYet}`);
    if (!r.startRolling) throw new JobctlError('WRONG_KIND', `task "${name}" cannot be restarted one instance at a time`);
    r.startRolling(stepTimeoutMs).catch((err: unknown) => this.emit('warning', `${name}: ${(err as Error).message}`));
    this.touch(name);
  }

  /** Stop and forget a task. */
  async remove(name: string): Promise<void> {
    const r = this.runners.get(name);
    if (!r) return;
    this.waiting.delete(name);
    this.queued.delete(name);
    // It shows (stopping) until its processes are gone.
    await r.dispose();
    if (this.runners.get(name) === r) {
      this.runners.delete(name);
      // Removed from the task files: a task re-added under this name is another one.
      this.deps.history?.forget(name);
    }
    this.dirty.delete(name);
    this.emit('removed', name);
  }

  /** Apply a changed spec; `keys` are the TaskSpec keys that differ. */
  async update(spec: TaskSpec, keys: string[]): Promise<void> {
    const r = this.require(spec.name);
    // Asked before update(): a runner that says no may have stopped meanwhile. A task that
    // was disabled and is enabled now starts.
    const keepStopped = r.spec.enabled && r.status().desired === 'stopped';
    const wasEnabled = r.spec.enabled;
    if (!spec.enabled) this.waiting.delete(spec.name);
    if (!(await r.update(spec, keys))) {
      // The runner cannot take this change in place: a fresh one, in the state the user left it.
      await r.dispose();
      this.runners.delete(spec.name);
      await this.add(spec, { start: !keepStopped });
      return;
    }
    // Enabled in its file: started as every start is, after its dependencies.
    if (spec.enabled && !wasEnabled) await this.startWhenReady(r);
    this.touch(spec.name);
  }

  // ---- control ----

  async start(name: string): Promise<void> {
    const r = this.require(name);
    if (!r.spec.enabled) await r.start(); // DISABLED, with the runner's message
    this.queued.delete(name);
    await this.startWhenReady(r);
  }

  async stop(name: string): Promise<void> {
    const r = this.require(name);
    this.waiting.delete(name);
    this.queued.delete(name);
    await r.stop();
    this.touch(name);
  }

  async restart(name: string): Promise<void> {
    const r = this.require(name);
    if (this.queued.delete(name) || this.waiting.has(name)) await this.startWhenReady(r);
    else await r.restart();
    this.touch(name);
  }

  /** Trigger a cron run now (the record is returned); start a service. */
  async run(name: string, opts?: RunOptions): Promise<RunRecord | undefined> {
    const runner = this.require(name);
    const r = await runner.run(opts);
    // Run now is explicit and does not wait for dependencies: a service it started is no longer waiting.
    if (runner.status().desired === 'running') {
      this.waiting.delete(name);
      this.queued.delete(name);
    }
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
    const s = this.require(name).status();
    const waiting = this.waiting.get(name) ?? this.queued.get(name);
    return waiting ? { ...s, state: 'waiting', desired: 'running', waiting } : s;
  }

  statusAll(): TaskStatus[] {
    return this.names().map((n) => this.status(n));
  }

  /** Mark a task changed; 'state' events are coalesced per window. */
  touch(name: string): void {
    this.checkWaiting();
    this.pushState(name);
  }

  /** Coalesced 'state' events, without re-checking the waiting tasks. */
  private pushState(name: string): void {
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
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.gateTimer) clearTimeout(this.gateTimer);
    this.gateTimer = undefined;
    this.waiting.clear();
    this.queued.clear();
    const byName = new Map(this.runners);
    const waves = stopWaves(dependencyEdges(this.specs()), [...byName.keys()]);
    this.runners.clear();
    if (now) for (const r of byName.values()) r.signal('SIGKILL');
    // Dependents stop before what they depend on; the tasks of one wave stop together.
    const ordered = waves.length > 1;
    for (const wave of waves) {
      if (ordered) this.emit('event', { level: 'info', message: `stopping ${wave.join(', ')}` } satisfies RegistryEvent);
      await Promise.all(wave.map(async (name) => {
        try {
          await byName.get(name)!.dispose();
        } catch (err) {
          if (!isJobctlError(err)) throw err;
        }
      }));
    }
  }
}
