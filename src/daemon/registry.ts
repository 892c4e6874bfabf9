import { EventEmitter } from 'node:events';
import { JobctlError, isJobctlError } from '../shared/errors.js';
import type { RollingInfo, TaskStatus } from '../shared/protocol.js';
import type { RunRecord, TaskSpec } from '../shared/types.js';
import type { Capabilities, Capability, RunOptions, TaskNotice, TaskRunner } from '../runtime/task-runner.js';
import type { RunHistory } from '../runtime/run-history.js';
import { didYouMean } from '../shared/suggest.js';
import { dependencyEdges, stopWaves, waitReason, type DependencyFacts } from '../core/start-order.js';
import { holdReason, initialLife, lifeTransition, taskState, type LifeEffect, type LifeEvent, type TaskLife } from '../core/task-lifecycle.js';
import { disabledError, removingError } from '../runtime/runner-common.js';

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

/** What a command that needs a capability says to a task without it (after `task "x" is a cron task; `). */
const NEEDED_FOR: Record<Capability, (name: string) => string> = {
  runs: () => 'runs are kept for cron tasks',
  history: (name) => `history is kept for cron tasks (see \`jobctl logs ${name}\`)`,
  instances: () => 'scale applies to service tasks',
  rolling: () => 'a rolling restart replaces the instances of a service task',
};

/**
 * The tasks the daemon runs, by name: holds one runner and one lifecycle (core/task-lifecycle)
 * per task and routes: commands and config changes go through the task's lifecycle machine,
 * whose effects (start, stop, wait for dependencies…) it carries out on the runner. It never
 * asks a runner which kind it is; a command that needs more than every task offers asks for a
 * capability (`capability`).
 * Starts follow `depends_on`: a task whose dependencies have not reached their condition
 * waits (status says why) and starts when they have; stops of several tasks and the final
 * close go in reverse dependency order.
 * Events: 'state' (name; coalesced), 'removed' (name), 'notify' (TaskNotice), 'warning' (string),
 * 'run' (RunRecord: each change of a cron run), 'event' (RegistryEvent: for the daemon log).
 */
export class TaskRegistry extends EventEmitter {
  private readonly runners = new Map<string, TaskRunner>();
  /** Each task's life: enabled, desired, held back (queued, waiting for dependencies), disposing. */
  private readonly lives = new Map<string, TaskLife>();
  /** The tasks whose life waits for dependencies (re-checked after each change; kept apart so a check costs nothing when none waits). */
  private readonly waiting = new Set<string>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Called on the next 'state' of a task's runner (see `replaced`). */
  private readonly changeWaiters = new Map<string, Array<() => void>>();
  private gateTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closingAll: Promise<void> | undefined;

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

  /** The runner of a task, or NOT_FOUND (with a suggestion). */
  require(name: string): TaskRunner {
    const r = this.runners.get(name);
    // Shutting down, a task already stopped is gone from here: it is not "no task named".
    if (!r) this.refuseWhenClosing(name);
    if (!r) throw new JobctlError('NOT_FOUND', `no task named "${name}"${didYouMean(name, [...this.runners.keys()])}; \`jobctl status\` lists them`);
    return r;
  }

  /** What a task's runner can do: NOT_FOUND, or WRONG_KIND saying what the capability is for. */
  capability<C extends Capability>(name: string, cap: C): NonNullable<Capabilities[C]> {
    const r = this.require(name);
    // Reading history stays possible while the daemon stops; acting on a task does not.
    if (cap !== 'history') this.refuseWhenClosing(name);
    const c = r.can[cap];
    if (!c) throw new JobctlError('WRONG_KIND', `task "${name}" is ${r.noun}; ${NEEDED_FOR[cap](name)}`);
    return c;
  }

  /** The capability when the task exists and has it; else undefined. */
  capable<C extends Capability>(name: string, cap: C): Capabilities[C] | undefined {
    return this.runners.get(name)?.can[cap];
  }

  /** Register a task; start (or schedule) it when enabled, after its dependencies. `catchUp`: missed cron firings follow `catchup`. */
  async add(spec: TaskSpec, opts: { catchUp?: boolean } = {}): Promise<void> {
    this.register(spec, opts.catchUp ?? false);
    await this.dispatch(spec.name, { type: 'add' });
    this.touch(spec.name);
  }

  /**
   * Register a task now and start it later with `startQueued` (the daemon's first start, paced
   * after its socket answers); until then status shows it waiting, with `reason`.
   */
  addQueued(spec: TaskSpec, opts: { catchUp?: boolean; reason: string }): void {
    this.register(spec, opts.catchUp ?? false);
    void this.dispatch(spec.name, { type: 'queue', reason: opts.reason });
    this.touch(spec.name);
  }

  /** Start a task registered by `addQueued` (if it is still there, queued and enabled). */
  async startQueued(name: string): Promise<void> {
    if (!this.runners.has(name)) return;
    await this.dispatch(name, { type: 'dequeue' });
    this.touch(name);
  }

  /**
   * Feed an event to a task's lifecycle and carry out its effects on the runner, in order.
   * A command effect that fails rejects (the lifecycle has already moved on, as it would
   * have had the runner said yes: the next command decides again).
   */
  private async dispatch(name: string, e: LifeEvent): Promise<void> {
    const life = this.lives.get(name);
    if (!life) return;
    // Shutting down: every task is stopping; a command says so, nothing else moves a life.
    if (this.closed) {
      if (e.type === 'command') this.refuseWhenClosing(name);
      return;
    }
    const t = lifeTransition(life, e);
    this.setLife(name, t.next);
    for (const effect of t.effects) await this.carryOut(name, effect);
  }

  private setLife(name: string, life: TaskLife | undefined): void {
    if (life) this.lives.set(name, life);
    else this.lives.delete(name);
    if (life?.hold?.why === 'dependencies') this.waiting.add(name);
    else this.waiting.delete(name);
  }

  private async carryOut(name: string, effect: LifeEffect): Promise<void> {
    const r = this.runners.get(name);
    if (!r) return;
    switch (effect.type) {
      case 'check-dependencies': {
        const reason = waitReason(r.spec.dependsOn, (dep) => (this.runners.has(dep) ? this.factsOf(dep) : undefined));
        return this.dispatch(name, { type: 'dependencies', reason });
      }
      case 'start':
        await r.start();
        this.touch(name);
        return;
      case 'restart':
        return r.restart();
      case 'stop':
        return r.stop();
      case 'run':
        // (runs: the registry's `run` asks the capability itself, for the record.)
        return;
      case 'refuse-disabled':
        throw disabledError(r.spec);
      case 'refuse-removing':
        throw removingError(name);
      case 'log':
        this.emit('event', { level: 'info', task: name, message: effect.message } satisfies RegistryEvent);
        return;
      case 'changed':
        this.pushState(name);
        return;
    }
  }

  /** SHUTTING_DOWN once close() was called (the tasks show, stopping, until each is gone). */
  private refuseWhenClosing(name: string): void {
    if (this.closed) throw new JobctlError('SHUTTING_DOWN', `the daemon is shutting down and stopping every task; nothing was done to "${name}"`);
  }

  private register(spec: TaskSpec, catchUp: boolean): TaskRunner {
    // A reload that was under way when shutdown began must not start anything after it.
    if (this.closed) throw new JobctlError('SHUTTING_DOWN', `the daemon is shutting down; task "${spec.name}" was not started`);
    if (this.runners.has(spec.name)) throw new JobctlError('ALREADY_RUNNING', `task "${spec.name}" is already registered`);
    const runner = this.deps.factory.create(spec, { catchUp });
    this.runners.set(spec.name, runner);
    // A fresh runner for a task already known (replaced by an edit) keeps the task's life.
    if (!this.lives.has(spec.name)) this.setLife(spec.name, initialLife(spec.enabled));
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

  /** After any change, the waiting tasks whose dependencies are now ready start (checked once per tick). */
  private checkWaiting(): void {
    if (this.waiting.size === 0 || this.gateTimer) return;
    this.gateTimer = setTimeout(() => {
      this.gateTimer = undefined;
      for (const name of [...this.waiting].sort()) {
        void this.carryOut(name, { type: 'check-dependencies' }).catch((e: unknown) => {
          this.emit('warning', `${name}: ${(e as Error).message}`);
        });
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
    return this.require(name).can.rolling !== undefined;
  }

  /** `jobctl restart --rolling`: starts the roll and returns; its progress is in status (`rolling`). */
  restartRolling(name: string, stepTimeoutMs: number): void {
    // A task with instances that has not started yet has nothing to roll.
    const r = this.require(name);
    const notYet = holdReason(this.lives.get(name)!);
    if (notYet !== undefined && r.can.instances) throw new JobctlError('NOT_RUNNING', `task "${name}" has not started: ${notYet}`);
    const rolling = this.capability(name, 'rolling');
    rolling.start(stepTimeoutMs).catch((err: unknown) => this.emit('warning', `${name}: ${(err as Error).message}`));
    this.touch(name);
  }

  /** Stop and forget a task. */
  async remove(name: string): Promise<void> {
    const r = this.runners.get(name);
    if (!r) return;
    await this.dispatch(name, { type: 'dispose' });
    // It shows (stopping) until its processes are gone.
    await r.dispose();
    if (this.runners.get(name) === r) {
      this.runners.delete(name);
      this.setLife(name, undefined);
      // Removed from the task files: a task re-added under this name is another one.
      this.deps.history?.forget(name);
    }
    this.dirty.delete(name);
    this.emit('removed', name);
  }

  /** Apply a changed spec in place; `keys` are the TaskSpec keys that differ. A runner that cannot take it is recreated. */
  async update(spec: TaskSpec, keys: string[]): Promise<void> {
    const r = this.require(spec.name);
    this.refuseWhenClosing(spec.name);
    if (!(await r.update(spec, keys))) return this.recreate(spec);
    await this.dispatch(spec.name, { type: 'updated', enabled: spec.enabled, replaced: false });
    this.touch(spec.name);
  }

  /**
   * A fresh runner for a changed task (e.g. another kind): the old one stops; the task's life
   * (desired running or stopped by the user, waiting) carries over to the new one.
   */
  async recreate(spec: TaskSpec): Promise<void> {
    const r = this.require(spec.name);
    this.refuseWhenClosing(spec.name);
    await r.dispose();
    this.runners.delete(spec.name);
    this.register(spec, false);
    await this.dispatch(spec.name, { type: 'updated', enabled: spec.enabled, replaced: true });
    this.touch(spec.name);
  }

  // ---- control ----

  async start(name: string): Promise<void> {
    this.require(name);
    await this.dispatch(name, { type: 'command', command: 'start', started: this.factsOf(name).started });
  }

  async stop(name: string): Promise<void> {
    this.require(name);
    await this.dispatch(name, { type: 'command', command: 'stop' });
    this.touch(name);
  }

  async restart(name: string): Promise<void> {
    this.require(name);
    await this.dispatch(name, { type: 'command', command: 'restart' });
    this.touch(name);
  }

  /** Trigger a cron run now (the record is returned); a task without runs of its own starts, without waiting for its dependencies. */
  async run(name: string, opts?: RunOptions): Promise<RunRecord | undefined> {
    const runs = this.require(name).can.runs;
    await this.dispatch(name, { type: 'command', command: 'run', runs: runs !== undefined });
    const rec = runs ? await runs.run(opts) : undefined;
    this.touch(name);
    return rec;
  }

  /** Send a signal to a task's live process groups; NOT_RUNNING when there is none. */
  signal(name: string, sig: NodeJS.Signals): number {
    const n = this.require(name).signal(sig);
    if (n === 0) throw new JobctlError('NOT_RUNNING', `task "${name}" has no running process to signal`);
    return n;
  }

  // ---- status ----

  /** The runner's status, with the task's state as its lifecycle has it (held back: `waiting`, with the reason). */
  /** What a task has reached, for its dependents: its runner's answer, held or not. */
  private factsOf(name: string): DependencyFacts {
    return this.require(name).dependencyFacts(holdReason(this.lives.get(name)!));
  }

  status(name: string): TaskStatus {
    const s = this.require(name).status();
    const life = this.lives.get(name)!;
    const waiting = holdReason(life);
    // Held back is `waiting` for either kind: the spread keeps the kind, the state stays in its union.
    return waiting ? ({ ...s, state: taskState(life, s.state), desired: 'running', waiting } as TaskStatus) : s;
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

  /**
   * Stop every task and release everything. `now`: SIGKILL the groups first. Safe to call
   * twice (a second call with `now` kills what still stops). Until every task is down, status
   * lists them (stopping, stopped) and commands answer SHUTTING_DOWN.
   */
  async close(now = false): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.gateTimer) clearTimeout(this.gateTimer);
    this.gateTimer = undefined;
    this.waiting.clear();
    if (now) for (const r of this.runners.values()) r.signal('SIGKILL');
    this.closingAll ??= this.disposeAll();
    return this.closingAll;
  }

  private async disposeAll(): Promise<void> {
    // The runners as they are now: one a reload is replacing or removing meanwhile still stops here.
    const byName = new Map(this.runners);
    const waves = stopWaves(dependencyEdges(this.specs()), [...byName.keys()]);
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
    // Listed (stopped) until every task is down: status during a shutdown shows them all.
    this.runners.clear();
    this.lives.clear();
  }
}
