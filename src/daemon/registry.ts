import { EventEmitter } from 'node:events';
import type { Clock } from '../runtime/clock.js';
import { CronTask, type RunNotice } from '../runtime/cron-task.js';
import { DaemonTask } from '../runtime/daemon-task.js';
import type { InstanceNotice } from '../runtime/instance-driver.js';
import type { MetricsSampler } from '../runtime/metrics.js';
import { Scheduler } from '../runtime/scheduler.js';
import type { StateStore } from '../runtime/state-store.js';
import { JobctlError, isJobctlError } from '../shared/errors.js';
import type { HomePaths } from '../shared/paths.js';
import type { RollingInfo, ScaleInfo, TaskStatus } from '../shared/protocol.js';
import type { CronTaskSpec, DaemonTaskSpec, NotifyEvent, RunRecord, TaskSpec } from '../shared/types.js';
import { cronTaskStatus, daemonTaskStatus } from './task-status.js';
import { dependencyEdges, stopWaves, waitReason } from '../core/start-order.js';
import { dependencyFacts } from './dependency-facts.js';

/** Something a task did that may deserve a message in chat. */
export interface TaskNotice {
  task: string;
  event: NotifyEvent;
  message: string;
  exitCode?: number | null;
  signal?: string | null;
  instance?: number;
  run?: RunRecord;
  /** The log file with the last lines. */
  logFile: string;
}

export interface RegistryDeps {
  paths: HomePaths;
  store: StateStore;
  sampler?: MetricsSampler;
  clock?: Clock;
  random?: () => number;
  baseEnv?: Record<string, string>;
  /** Extra status for daemon tasks with `scale` (filled by the autoscaler). */
  scaleInfo?: (name: string) => ScaleInfo | undefined;
}

interface Entry {
  spec: TaskSpec;
  daemon?: DaemonTask;
  cron?: CronTask;
  /** Cron: whether the scheduler fires it. */
  scheduled: boolean;
}

/** Keys whose change only updates what status shows. */
const META_KEYS = new Set(['description', 'notify', 'group', 'source']);

/**
 * The tasks the daemon runs, by name: creates and disposes their runners, applies config
 * changes, and carries out control requests. It holds no policy of its own: restarts,
 * overlap and retries are decided in core/ and carried out by the runners.
 * Events: 'state' (name; coalesced), 'removed' (name), 'notify' (TaskNotice), 'warning' (string),
 * 'run' (RunRecord, each change of a cron run), 'event' ({level, task?, message}: for the daemon log).
 */
export class TaskRegistry extends EventEmitter {
  private readonly entries = new Map<string, Entry>();
  private readonly scheduler: Scheduler;
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Tasks asked to start whose dependencies have not reached their condition: the reason. */
  private readonly waiting = new Map<string, string>();
  private gateTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RegistryDeps) {
    super();
    this.scheduler = new Scheduler((name, scheduledAt) => this.onFire(name, scheduledAt), deps.clock, deps.random);
  }

  startScheduler(): void {
    this.scheduler.start();
  }

  specs(): TaskSpec[] {
    return [...this.entries.values()].map((e) => e.spec);
  }

  get(name: string): TaskSpec | undefined {
    return this.entries.get(name)?.spec;
  }

  daemonTask(name: string): DaemonTask | undefined {
    return this.entries.get(name)?.daemon;
  }

  cronTask(name: string): CronTask | undefined {
    return this.entries.get(name)?.cron;
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new JobctlError('NOT_FOUND', `no task named "${name}"`);
    return e;
  }

  /** Register a task; start it (or schedule it) when enabled. `catchUp` runs missed cron firings. */
  add(spec: TaskSpec, opts: { catchUp?: boolean } = {}): void {
    if (this.entries.has(spec.name)) throw new JobctlError('ALREADY_RUNNING', `task "${spec.name}" is already registered`);
    const entry: Entry = { spec, scheduled: false };
    this.entries.set(spec.name, entry);
    if (spec.kind === 'daemon') entry.daemon = this.makeDaemon(spec);
    else entry.cron = this.makeCron(spec);
    if (spec.enabled) this.startWhenReady(entry, opts.catchUp ?? false);
    this.touch(spec.name);
  }

  // ---- start order (depends_on) ----

  /** Start now when the dependencies allow it, else wait (and say why in status). */
  private startWhenReady(e: Entry, catchUp = false): void {
    const reason = waitReason(e.spec.dependsOn, (dep) => {
      const d = this.entries.get(dep);
      return d ? dependencyFacts(this.status(dep)) : undefined;
    });
    if (reason) {
      if (this.waiting.get(e.spec.name) !== reason) this.emit('event', { level: 'info', task: e.spec.name, message: reason });
      this.waiting.set(e.spec.name, reason);
      return;
    }
    const wasWaiting = this.waiting.delete(e.spec.name);
    if (wasWaiting) this.emit('event', { level: 'info', task: e.spec.name, message: 'dependencies ready: starting' });
    if (e.daemon) e.daemon.start();
    else {
      if (catchUp) e.cron!.catchUp((this.deps.clock?.now ?? Date.now)());
      this.schedule(e);
    }
    this.touch(e.spec.name);
  }

  /** After any change, the waiting tasks whose dependencies are now ready start (checked once per tick). */
  private checkWaiting(): void {
    if (this.waiting.size === 0 || this.gateTimer) return;
    this.gateTimer = setTimeout(() => {
      this.gateTimer = undefined;
      for (const name of [...this.waiting.keys()].sort()) {
        const e = this.entries.get(name);
        if (!e) this.waiting.delete(name);
        else this.startWhenReady(e);
      }
    }, 20);
  }

  /** Stop several tasks, dependents before what they depend on (waves in parallel). */
  async stopMany(names: string[]): Promise<void> {
    const known = names.filter((n) => this.entries.has(n));
    for (const wave of stopWaves(dependencyEdges(this.specs()), known)) {
      if (known.length > 1) this.emit('event', { level: 'info', message: `stopping ${wave.join(', ')}` });
      await Promise.all(wave.map(async (n) => {
        try {
          await this.stop(n);
        } catch (err) {
          if (!isJobctlError(err)) throw err;
          this.emit('warning', `${n}: ${err.message}`);
        }
      }));
    }
  }

  /** What every runner gets: paths, store, and the optional clock, randomness and env. */
  private runnerOptions() {
    const { paths, store, clock, random, baseEnv } = this.deps;
    return { paths, store, ...(clock ? { clock } : {}), ...(random ? { random } : {}), ...(baseEnv ? { baseEnv } : {}) };
  }

  private makeDaemon(spec: DaemonTaskSpec): DaemonTask {
    const t = new DaemonTask({ spec, ...this.runnerOptions(), ...(this.deps.sampler ? { sampler: this.deps.sampler } : {}) });
    t.on('state', () => this.touch(spec.name));
    t.on('rolling', (r: RollingInfo) => {
      this.touch(spec.name);
      if (r.state !== 'running') this.emit('event', { level: r.state === 'done' ? 'info' : 'error', task: spec.name, message: `rolling restart ${r.state === 'done' ? `done: ${r.done} of ${r.total} instances replaced` : `stopped: ${r.message ?? ''} (${r.done} of ${r.total} replaced; the rest keep their old processes)`}` });
      else if (r.instance !== undefined) this.emit('event', { level: 'info', task: spec.name, message: `rolling restart: replacing instance ${r.instance} (${r.done} of ${r.total} done)` });
    });
    t.on('warning', (w: string) => this.emit('warning', w));
    t.on('notify', (n: InstanceNotice) => this.emit('notify', {
      task: n.task, event: n.event, message: n.message, instance: n.instance,
      ...(n.exitCode !== undefined ? { exitCode: n.exitCode } : {}),
      ...(n.signal !== undefined ? { signal: n.signal } : {}),
      logFile: this.deps.paths.instanceLog(n.task, n.instance),
    } satisfies TaskNotice));
    return t;
  }

  private makeCron(spec: CronTaskSpec): CronTask {
    const t = new CronTask({ spec, ...this.runnerOptions() });
    t.on('run', (r: RunRecord) => {
      this.touch(spec.name);
      this.emit('run', r);
    });
    t.on('notify', (n: RunNotice) => this.emit('notify', {
      task: n.task, event: n.event, message: n.message, run: n.run,
      ...(n.run.exitCode !== undefined ? { exitCode: n.run.exitCode } : {}),
      ...(n.run.signal !== undefined ? { signal: n.run.signal } : {}),
      logFile: this.deps.paths.runLog(n.task, n.run.id),
    } satisfies TaskNotice));
    return t;
  }

  private schedule(entry: Entry): void {
    const spec = entry.spec as CronTaskSpec;
    entry.cron!.resume();
    this.scheduler.set({ name: spec.name, schedule: spec.schedule, jitterMs: spec.jitterMs, ...(spec.timezone ? { timezone: spec.timezone } : {}) });
    entry.scheduled = true;
  }

  private unschedule(entry: Entry): void {
    this.scheduler.delete(entry.spec.name);
    entry.scheduled = false;
  }

  private onFire(name: string, scheduledAt: number): void {
    const e = this.entries.get(name);
    if (!e?.cron || !e.scheduled) return;
    e.cron.fire(scheduledAt, 'schedule');
  }

  /** Stop and forget a task. */
  async remove(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (!e) return;
    this.entries.delete(name);
    this.waiting.delete(name);
    if (e.cron) this.unschedule(e);
    await e.daemon?.dispose();
    await e.cron?.dispose();
    this.dirty.delete(name);
    this.emit('removed', name);
  }

  /** Apply a changed spec; `keys` are the TaskSpec keys that differ. */
  async update(spec: TaskSpec, keys: string[]): Promise<void> {
    const e = this.entry(spec.name);
    const old = e.spec;
    if (old.kind !== spec.kind || keys.includes('logs')) {
      // A new kind, or new log settings: a fresh runner.
      await this.remove(spec.name);
      this.add(spec);
      return;
    }
    e.spec = spec;
    if (spec.kind === 'daemon') {
      const d = e.daemon!;
      const onlyLight = keys.every((k) => META_KEYS.has(k) || k === 'instances' || k === 'scale' || k === 'enabled');
      await d.update(spec, !onlyLight);
      if (keys.includes('enabled')) {
        if (spec.enabled) this.startWhenReady(e);
        else {
          this.waiting.delete(spec.name);
          await d.stop();
        }
      }
    } else {
      const c = e.cron!;
      c.update(spec);
      if (!spec.enabled && e.scheduled) this.unschedule(e);
      else if (spec.enabled && (e.scheduled || keys.includes('enabled'))) this.schedule(e);
    }
    this.touch(spec.name);
  }

  // ---- control ----

  start(name: string): void {
    const e = this.entry(name);
    this.requireEnabled(e);
    if (e.daemon || !e.scheduled) this.startWhenReady(e);
    this.touch(name);
  }

  async stop(name: string): Promise<void> {
    const e = this.entry(name);
    this.waiting.delete(name);
    if (e.daemon) await e.daemon.stop();
    else {
      this.unschedule(e);
      await e.cron!.stop();
    }
    this.touch(name);
  }

  /** `jobctl restart --rolling`: starts the roll and returns; its progress is in status (`rolling`). */
  restartRolling(name: string, stepTimeoutMs: number): void {
    const e = this.entry(name);
    this.requireEnabled(e);
    if (!e.daemon) throw new JobctlError('WRONG_KIND', `task "${name}" is a cron task; a rolling restart replaces the instances of a daemon task`);
    if (this.waiting.has(name)) throw new JobctlError('NOT_RUNNING', `task "${name}" has not started: ${this.waiting.get(name)}`);
    e.daemon.startRolling(stepTimeoutMs).catch((err: unknown) => this.emit('warning', `${name}: ${(err as Error).message}`));
    this.touch(name);
  }

  async restart(name: string): Promise<void> {
    const e = this.entry(name);
    this.requireEnabled(e);
    if (this.waiting.has(name)) this.startWhenReady(e);
    else if (e.daemon) await e.daemon.restart();
    else {
      await e.cron!.stop();
      this.schedule(e);
    }
    this.touch(name);
  }

  /** Trigger a cron run now; start a daemon task. */
  run(name: string): RunRecord | undefined {
    const e = this.entry(name);
    if (e.daemon) {
      this.requireEnabled(e);
      e.daemon.start();
      this.touch(name);
      return undefined;
    }
    const r = e.cron!.runNow();
    this.touch(name);
    return r;
  }

  kill(name: string, signal: NodeJS.Signals): number {
    const e = this.entry(name);
    const n = e.daemon ? e.daemon.kill(signal) : e.cron!.signal(signal);
    if (n === 0) throw new JobctlError('NOT_RUNNING', `task "${name}" has no running process to signal`);
    return n;
  }

  private requireEnabled(e: Entry): void {
    if (!e.spec.enabled) {
      throw new JobctlError('WRONG_KIND', `task "${e.spec.name}" is disabled (enabled: false in ${e.spec.source.file}); enable it there first`);
    }
  }

  // ---- status ----

  status(name: string): TaskStatus {
    const e = this.entry(name);
    const s = e.daemon
      ? daemonTaskStatus(e.daemon, this.deps.scaleInfo?.(name))
      : cronTaskStatus(e.cron!, e.scheduled, this.scheduler.next(name));
    const waiting = this.waiting.get(name);
    return waiting ? { ...s, state: 'waiting', desired: 'running', waiting } : s;
  }

  statusAll(): TaskStatus[] {
    return [...this.entries.keys()].sort().map((n) => this.status(n));
  }

  /** Mark a task changed; 'state' events are coalesced per 50 ms. */
  touch(name: string): void {
    this.checkWaiting();
    if (this.listenerCount('state') === 0) return;
    this.dirty.add(name);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const names = [...this.dirty];
      this.dirty.clear();
      for (const n of names) if (this.entries.has(n)) this.emit('state', n);
    }, 50);
  }

  /** Stop every task (in parallel) and release everything. `now`: SIGKILL the groups first. */
  async close(now = false): Promise<void> {
    this.scheduler.stop();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.gateTimer) clearTimeout(this.gateTimer);
    this.waiting.clear();
    const all = [...this.entries.values()];
    if (now) {
      for (const e of all) {
        e.daemon?.kill('SIGKILL');
        e.cron?.signal('SIGKILL');
      }
    }
    // Dependents stop before what they depend on; tasks of one wave stop together.
    const waves = stopWaves(dependencyEdges(this.specs()), [...this.entries.keys()]);
    const ordered = waves.length > 1 && all.some((e) => e.spec.dependsOn);
    for (const wave of waves) {
      if (ordered) this.emit('event', { level: 'info', message: `stopping ${wave.join(', ')}` });
      await Promise.all(wave.map(async (name) => {
        const e = this.entries.get(name)!;
        try {
          await e.daemon?.dispose();
          await e.cron?.dispose();
        } catch (err) {
          if (!isJobctlError(err)) throw err;
        }
      }));
    }
    this.entries.clear();
  }
}
