import { EventEmitter } from 'node:events';
import type { Containment } from './process/contain.js';
import { catchupPlan, isFailedRunState, makeRunId, missedPlan, runNotices, type MissedFirings } from '../core/cron-policy.js';
import {
  abandonedRunState, cronTransition, initialCronSnapshot, isFinalRunState, type CronEffect, type CronEvent, type CronSnapshot,
  type RunEndEvent, type RunRef,
} from '../core/cron-run-machine.js';
import { DEFAULTS } from '../config/defaults.js';
import { errorMessage, JobctlError } from '../shared/errors.js';
import type { HomePaths } from '../shared/paths.js';
import type { CronTaskState, CronTaskStatus } from '../shared/protocol.js';
import { cronFacts } from '../core/dependency-facts.js';
import type { DependencyFacts } from '../core/start-order.js';
import type { CronTaskSpec, RunRecord, RunState, RunTrigger, TaskSpec } from '../shared/types.js';
import { realClock, type Clock } from './clock.js';
import { startRunProcess, type RunProcess } from './cron-run.js';
import { tailRotated } from './log-read.js';
import type { LogSink } from './log-sink.js';
import type { RunHistory } from './run-history.js';
import type { Firing, Registration, Scheduler } from './scheduler.js';
import type { StateStore } from './state-store.js';
import type { Marks } from './task-marks.js';
import type { Capabilities, FiringGate, GateResult, KindDetails, LogOrigin, LogQuery, LogSelection, RunOptions, TaskNotice, TaskRunner } from './task-runner.js';
import { CommandSequence, disabledError, refuseWhileDisposing, specStatusBase, type Intent } from './runner-common.js';
import { taskState } from '../core/task-lifecycle.js';

export interface CronRunnerOptions {
  spec: CronTaskSpec;
  paths: Pick<HomePaths, 'runLog' | 'runLogDir'>;
  /** Where run records go; the runner is its only writer for this task. */
  history: RunHistory;
  /** When each task last fired (persisted): for catch-up, and so an instant never fires twice. */
  lastFired: Marks<number>;
  scheduler: Scheduler;
  /** For child records (orphan sweep after a crash). */
  store?: StateStore;
  /** Asked before each scheduled firing starts. @default none: a firing starts at once */
  gate?: FiringGate;
  clock?: Clock;
  random?: () => number;
  baseEnv?: Record<string, string>;
  /** The home's containment, for every run. @default process groups alone */
  containment?: Containment;
  /** `catchup: all` runs at most this many missed firings. @default 100 */
  catchupCap?: number;
}

/** What a run needs beyond its RunRef: the per-run options, kept until it ends. */
interface Launch {
  env?: Record<string, string>;
  timeoutMs?: number;
  args?: string[];
  command?: string[];
  triggeredBy?: string;
  tag?: string;
}

/**
 * A cron task's life: it registers itself with the scheduler while started, feeds firings,
 * process ends, stops and resumes to the pure run machine (core/cron-run-machine) and
 * carries out its effects. It assigns no run state itself; records go only to RunHistory.
 * Events: 'state' (), 'notify' (TaskNotice), 'warning' (string), 'run' (RunRecord), 'sink' (id, LogSink),
 * 'disposed' ().
 */
export class CronRunner extends EventEmitter implements TaskRunner {
  readonly kind = 'cron' as const;
  readonly noun = 'a cron task';
  /** Runs of its own and their records; no instances, no rolling restart. */
  readonly can: Capabilities = this.capabilities();
  private spec_: CronTaskSpec;
  private readonly clock: Clock;
  private readonly random: () => number;
  private snap: CronSnapshot = initialCronSnapshot(true);
  private registration: Registration | undefined;
  /** Records of runs not yet final, by id. */
  private readonly live = new Map<string, RunRecord>();
  /** The last record that became final: what a trigger refused at once answers with. */
  private lastFinal: RunRecord | undefined;
  private readonly launches = new Map<string, Launch>();
  private readonly procs = new Map<string, RunProcess>();
  private readonly retryTimers = new Set<unknown>();
  private readonly commands = new CommandSequence();
  private desired: 'running' | 'stopped' = 'stopped';
  private lastFailed: boolean | undefined;
  private disposed = false;
  private disposing: Promise<void> | undefined;
  /** Waiting for these runs' processes to be gone (a stop waits for the runs it stopped). */
  private waiters: Array<{ ids: readonly string[]; done: () => void }> = [];

  constructor(private readonly opts: CronRunnerOptions) {
    super();
    this.spec_ = opts.spec;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    // The history knows how much to keep before anyone lists it.
    opts.history.retain(this.name, this.spec_.history);
    const summary = opts.history.summary(this.name);
    if (summary.lastFinished) this.lastFailed = isFailedRunState(summary.lastFinished.state);
    // Records left unfinished by a daemon that died are closed now.
    for (const r of summary.unfinished) {
      opts.history.write({ ...r, state: abandonedRunState(r.state), message: 'the daemon stopped before this run ended', endedAt: r.endedAt ?? this.clock.now() });
    }
  }

  get name(): string {
    return this.spec_.name;
  }

  get spec(): CronTaskSpec {
    return this.spec_;
  }

  private capabilities(): Capabilities {
    const taking = () => this.desired === 'running';
    const me = () => this;
    return {
      runs: {
        get spec() {
          return me().spec;
        },
        run: (o) => this.run(o),
        stopRun: (id, reason) => this.stopRun(id, reason),
        get taking() {
          return taking();
        },
      },
      history: { list: (limit) => this.history(limit) },
    };
  }

  // ---- commands ----

  async start(): Promise<void> {
    refuseWhileDisposing(this.disposing, this.name);
    this.requireEnabled();
    this.commands.next(this.name, 'running');
    this.desired = 'running';
    this.dispatch({ type: 'resume' });
    this.register();
    this.changed();
  }

  async stop(): Promise<void> {
    // Being disposed is being stopped.
    if (this.disposing) return this.disposing;
    const cmd = this.commands.next(this.name, 'stopped');
    this.desired = 'stopped';
    this.unregister();
    await this.haltAndWait(cmd, 'stopped', 'stop', 'the task was stopped');
  }

  async restart(): Promise<void> {
    refuseWhileDisposing(this.disposing, this.name);
    this.requireEnabled();
    const cmd = this.commands.next(this.name, 'running');
    this.desired = 'running';
    await this.haltAndWait(cmd, 'running', 'restart', 'the task was restarted');
    this.dispatch({ type: 'resume' });
    this.register();
    this.changed();
  }

  signal(sig: NodeJS.Signals): number {
    return [...this.procs.values()].filter((p) => p.signal(sig)).length;
  }

  /** Trigger a run now; the overlap policy (or the override) applies. */
  async run(o: RunOptions = {}): Promise<RunRecord> {
    this.commands.requireOpen(this.name);
    const ref: RunRef = { ...this.newRef(this.clock.now(), o.trigger ?? 'manual', 1, o.overlap), ...(o.retries !== undefined ? { retries: o.retries } : {}) };
    const launch: Launch = {
      ...(o.env ? { env: o.env } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.triggeredBy !== undefined ? { triggeredBy: o.triggeredBy } : {}), ...(o.tag !== undefined ? { tag: o.tag } : {}),
      ...(o.args?.length ? { args: o.args } : {}), ...(o.command ? { command: o.command } : {}),
    };
    this.launches.set(ref.id, launch);
    this.dispatch({ type: 'fire', run: ref });
    return this.recordOf(ref.id);
  }

  /** End one run: a running one is stopped (it ends as `killed` with `reason`), a waiting one is skipped. False when it is not going or waiting. */
  stopRun(id: string, reason: string): boolean {
    const known = this.snap.running.some((r) => r.id === id) || this.snap.waiting?.id === id || this.snap.backlog.some((r) => r.id === id);
    if (known) this.dispatch({ type: 'cancel', id, reason });
    return known;
  }

  /**
   * After downtime: the persisted last firing says which firings were missed; they follow
   * the `catchup` policy, the others are recorded as one skipped run. Returns how many run.
   */
  catchUp(now: number): number {
    const schedule = this.spec_.schedule;
    if (schedule === undefined) return 0;
    const last = this.opts.lastFired.get(this.name);
    if (last === undefined) {
      this.opts.lastFired.set(this.name, now);
      return 0;
    }
    const plan = catchupPlan({ ...this.spec_, schedule }, this.spec_.catchup, last, now, this.cap);
    if (plan.latest !== undefined) this.opts.lastFired.set(this.name, plan.latest);
    this.missedRuns(plan.run, plan.skipped, plan.latest ?? now, 'while the daemon was down');
    return plan.run.length;
  }

  private get cap(): number {
    return this.opts.catchupCap ?? DEFAULTS.cron.catchupCap;
  }

  private missedRuns(run: number[], skipped: number, at: number, why: string): void {
    if (skipped > 0) {
      const ref = this.newRef(at, 'catchup', 1);
      const policy = `catchup: ${this.spec_.catchup}${this.spec_.catchup === 'all' ? `, at most ${this.cap}` : ''}`;
      this.dispatch({ type: 'refuse', run: ref, reason: `${skipped} missed firing${skipped === 1 ? '' : 's'} ${why} not run (${policy})` });
    }
    if (!run.length) return;
    const gate = this.opts.gate;
    if (!gate) {
      this.dispatch({ type: 'backlog', runs: run.map((t) => this.newRef(t, 'catchup', 1)) });
      return;
    }
    // Catch-up firings ask the gate too: a firing another host ran is not run again here.
    void Promise.all(run.map(async (t) => ({ ref: this.newRef(t, 'catchup', 1), r: await gate(this.spec_, t).catch((e: unknown): GateResult => ({ ok: false, reason: `firing gate failed: ${errorMessage(e)}` })) })))
      .then((answers) => {
        if (this.disposed) return;
        for (const { ref, r } of answers) if (!r.ok && !r.quiet) this.dispatch({ type: 'refuse', run: ref, reason: r.reason });
        const go = answers.filter((a) => a.r.ok).map((a) => a.ref);
        if (go.length) this.dispatch({ type: 'backlog', runs: go });
      })
      .catch((e: unknown) => this.emit('warning', `${this.name}: ${errorMessage(e)}`));
  }

  // ---- scheduling ----

  private register(): void {
    // An on-demand task (xxljob, no schedule) runs only when triggered.
    if (this.registration || this.disposed || this.spec_.schedule === undefined) return;
    const mine: { reg?: Registration } = {};
    mine.reg = this.opts.scheduler.register(
      { name: this.name, schedule: this.spec_.schedule, jitterMs: this.spec_.jitterMs, ...(this.spec_.timezone ? { timezone: this.spec_.timezone } : {}) },
      (firing) => {
        // Only the registration in force fires.
        if (this.registration === mine.reg) this.onFire(firing);
      },
    );
    this.registration = mine.reg;
  }

  private unregister(): void {
    this.registration?.unregister();
    this.registration = undefined;
  }

  private onFire(f: Firing): void {
    const marked = this.opts.lastFired.get(this.name) ?? -Infinity;
    const onTime = f.onTime.filter((t) => t > marked);
    const missed: MissedFirings = { ...f.missed, times: f.missed.times.filter((t) => t > marked) };
    const newest = Math.max(...onTime, missed.last ?? -Infinity);
    if (newest > marked) this.opts.lastFired.set(this.name, newest);
    if (missed.total > 0 && missed.last !== undefined && missed.last > marked) {
      const plan = missedPlan(this.spec_.catchup, missed, onTime.length > 0, this.cap);
      this.missedRuns(plan.run, plan.skipped, missed.last, 'while the daemon was frozen or the clock jumped');
    }
    for (const at of onTime) this.fireScheduled(at);
  }

  private fireScheduled(scheduledAt: number): void {
    const ref = this.newRef(scheduledAt, 'schedule', 1);
    const gate = this.opts.gate;
    if (!gate) {
      this.dispatch({ type: 'fire', run: ref });
      return;
    }
    const registration = this.registration;
    gate(this.spec_, scheduledAt).then(
      (r) => {
        if (this.disposed) return;
        if (this.registration !== registration) this.dispatch({ type: 'refuse', run: ref, reason: 'the task was stopped' });
        else if (r.ok) this.dispatch({ type: 'fire', run: ref });
        else if (!r.quiet) this.dispatch({ type: 'refuse', run: ref, reason: r.reason });
      },
      (e: unknown) => {
        if (!this.disposed) this.dispatch({ type: 'refuse', run: ref, reason: `firing gate failed: ${errorMessage(e)}` });
      },
    ).catch((e: unknown) => this.emit('warning', `${this.name}: ${errorMessage(e)}`));
  }

  // ---- the machine and its effects ----

  private newRef(scheduledAt: number, trigger: RunTrigger, attempt: number, overlap = this.spec_.overlap): RunRef {
    return { id: makeRunId(this.clock.now(), this.random), scheduledAt, trigger, attempt, overlap };
  }

  private dispatch(e: CronEvent): void {
    const t = cronTransition(this.snap, e, this.spec_);
    this.snap = t.next;
    for (const effect of t.effects) this.apply(effect);
  }

  private apply(effect: CronEffect, end?: { event: RunEndEvent; at: number }): void {
    switch (effect.type) {
      case 'state':
        this.setState(effect.run, effect.state, effect.message, end);
        break;
      case 'spawn':
        this.spawn(effect.run);
        break;
      case 'stop-run':
        this.procs.get(effect.id)?.stop(effect.reason);
        break;
      case 'retry': {
        const { run, attempt, delayMs } = effect;
        const launch = this.launches.get(run.id);
        const timer = this.clock.setTimeout(() => {
          this.retryTimers.delete(timer);
          const ref: RunRef = { ...this.newRef(run.scheduledAt, 'retry', attempt), overlap: run.overlap, ...(run.retries !== undefined ? { retries: run.retries } : {}) };
          if (launch) this.launches.set(ref.id, launch);
          this.dispatch({ type: 'fire', run: ref });
        }, delayMs);
        this.retryTimers.add(timer);
        break;
      }
      case 'cancel-retries':
        for (const t of this.retryTimers) this.clock.clearTimeout(t);
        this.retryTimers.clear();
        break;
    }
  }

  /** Write what the machine decided to the run's record. */
  private setState(ref: RunRef, state: RunState, message: string | undefined, end?: { event: RunEndEvent; at: number }): void {
    const now = end?.at ?? this.clock.now();
    const launch = this.launches.get(ref.id);
    const rec: RunRecord = this.live.get(ref.id) ?? {
      id: ref.id, task: this.name, scheduledAt: ref.scheduledAt, attempt: ref.attempt, trigger: ref.trigger, state,
      ...(launch?.triggeredBy !== undefined ? { triggeredBy: launch.triggeredBy } : {}),
      ...(launch?.tag !== undefined ? { tag: launch.tag } : {}),
    };
    rec.state = state;
    if (message !== undefined) rec.message = message;
    else delete rec.message;
    if (state === 'running') rec.startedAt = now;
    if (end) {
      rec.exitCode = end.event.code;
      rec.signal = end.event.signal;
    }
    if (isFinalRunState(state)) {
      rec.endedAt = now;
      this.lastFinal = rec;
      this.live.delete(ref.id);
      this.launches.delete(ref.id);
    } else this.live.set(ref.id, rec);
    this.opts.history.write(rec);
    this.emit('run', { ...rec });
    if (isFinalRunState(state)) {
      this.notifyOutcome(rec);
      this.opts.history.retain(this.name, this.spec_.history);
    }
    this.changed();
  }

  private spawn(ref: RunRef): void {
    const launch = this.launches.get(ref.id);
    const proc = startRunProcess(this.spec_, {
      id: ref.id, trigger: ref.trigger, attempt: ref.attempt,
      ...(launch?.env ? { env: launch.env } : {}), ...(launch?.timeoutMs !== undefined ? { timeoutMs: launch.timeoutMs } : {}),
      ...(launch?.args ? { args: launch.args } : {}), ...(launch?.command ? { command: launch.command } : {}),
    }, {
      logPath: this.opts.paths.runLog(this.name, ref.id),
      clock: this.clock,
      ...(this.opts.store ? { store: this.opts.store } : {}),
      ...(this.opts.baseEnv ? { baseEnv: this.opts.baseEnv } : {}),
      ...(this.opts.containment ? { containment: this.opts.containment } : {}),
      onSink: (sink) => this.emit('sink', ref.id, sink),
    });
    this.procs.set(ref.id, proc);
    proc.done.then((end) => this.ended(ref.id, proc, end)).catch((e: unknown) => {
      this.emit('warning', `${this.name}: run ${ref.id}: ${errorMessage(e)}`);
    });
  }

  private async ended(id: string, proc: RunProcess, end: RunEndEvent): Promise<void> {
    const at = this.clock.now();
    const t = cronTransition(this.snap, { type: 'ended', id, end }, this.spec_);
    this.snap = t.next;
    this.procs.delete(id);
    // Every effect now, except this run's last record: it is published once its log is complete.
    const mine = t.effects.find((e): e is Extract<CronEffect, { type: 'state' }> => e.type === 'state' && e.run.id === id);
    try {
      // (A retry effect takes this run's launch options with it before they go.)
      for (const e of t.effects) if (e !== mine) this.apply(e);
      if (!mine) return;
      await proc.close(`${mine.state}${mine.message !== undefined ? `: ${mine.message}` : ''}`).catch(() => undefined);
      this.apply(mine, { event: end, at });
    } finally {
      // Whatever a listener did, a stop waiting for this run is not left hanging.
      this.settle();
    }
  }

  private notifyOutcome(r: RunRecord): void {
    const notice = (event: TaskNotice['event'], message: string): TaskNotice => ({
      task: r.task, event, message, run: { ...r },
      ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
      ...(r.signal !== undefined ? { signal: r.signal } : {}),
      logFile: this.opts.paths.runLog(r.task, r.id),
    });
    const outcome = runNotices(this.lastFailed, r.state);
    this.lastFailed = outcome.lastFailed;
    // (A run's own message, e.g. "exit code 1", says more than the word.)
    for (const n of outcome.notices) this.emit('notify', notice(n.event, n.event === 'recovered' ? n.message : (r.message ?? n.message)));
  }

  private recordOf(id: string): RunRecord {
    const live = this.live.get(id) ?? (this.lastFinal?.id === id ? this.lastFinal : undefined);
    if (live) return { ...live };
    const kept = this.opts.history.list(this.name).findLast((r) => r.id === id);
    if (kept) return kept;
    throw new JobctlError('INTERNAL', `run ${id} of "${this.name}" has no record`);
  }

  // ---- waiting for stops ----

  private settle(): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.ids.some((id) => this.procs.has(id))) return true;
      w.done();
      return false;
    });
  }

  /** Resolves once none of these runs has a process. */
  private gone(ids: readonly string[]): Promise<void> {
    if (!ids.some((id) => this.procs.has(id))) return Promise.resolve();
    return new Promise<void>((done) => this.waiters.push({ ids, done }));
  }

  /**
   * Halt the machine and wait until the runs going now have no process (a manual run given
   * meanwhile is the user's and is not waited for); SUPERSEDED when a later command came.
   */
  private async haltAndWait(cmd: number, intent: Intent, what: 'stop' | 'restart', reason: string): Promise<void> {
    const stopped = [...this.procs.keys()];
    this.dispatch({ type: 'halt', reason });
    this.changed();
    await this.gone(stopped);
    if (intent === 'stopped') this.dropRunLeaves();
    this.commands.check(cmd, intent, this.name, what);
  }

  /** The run leaves kept for the next firings go with the task's last run (a stopped task holds no empty cgroup). */
  private dropRunLeaves(): void {
    if (this.procs.size === 0) this.opts.containment?.dropLeaf({ task: this.name, runId: '' });
  }

  private requireEnabled(): void {
    if (!this.spec_.enabled) throw disabledError(this.spec_);
  }

  // ---- config, status, logs ----

  async update(spec: TaskSpec, keys: readonly string[]): Promise<boolean> {
    if (spec.kind !== 'cron') return false;
    const old = this.spec_;
    this.spec_ = spec;
    const rescheduled = ['schedule', 'timezone', 'jitterMs'].some((k) => keys.includes(k));
    if (!spec.enabled && old.enabled) {
      try {
        await this.stop();
      } catch {
        /* a later start took over */
      }
    } else if (spec.enabled && !old.enabled) {
      // Enabled: the owner starts it once its dependencies are ready (TaskRunner.update).
    } else if (rescheduled && (this.registration || (this.desired === 'running' && spec.enabled))) {
      // (An on-demand task that gains a schedule has no registration yet.)
      this.unregister();
      this.register();
    }
    if (keys.includes('history')) this.opts.history.retain(this.name, spec.history);
    this.changed();
    return true;
  }

  dependencyFacts(waiting?: string): DependencyFacts {
    return cronFacts(waiting === undefined ? this.status() : { ...this.status(), desired: 'running', waiting });
  }

  details(readFrom: readonly string[]): KindDetails {
    return { logFiles: [...readFrom, this.opts.paths.runLogDir(this.name)], retries: this.spec_.retries };
  }

  status(): CronTaskStatus {
    const spec = this.spec_;
    const summary = this.opts.history.summary(this.name);
    const active = [...this.live.values()].filter((r) => r.state === 'running').map((r) => ({ ...r }));
    const next = this.registration?.next();
    const onDemand = spec.schedule === undefined && this.desired === 'running';
    const state: CronTaskState = taskState(spec, active.length ? 'running' : this.registration ? 'scheduled' : onDemand ? 'on-demand' : 'stopped');
    return {
      ...specStatusBase(spec),
      kind: 'cron',
      state,
      desired: this.desired,
      restarts: summary.retries,
      ...(spec.schedule !== undefined ? { schedule: spec.schedule } : {}),
      ...(spec.xxljob ? { xxljobHandler: spec.xxljob.handler } : {}),
      ...(spec.timezone ? { timezone: spec.timezone } : {}),
      ...(next !== undefined ? { nextRunAt: next } : {}),
      ...(summary.last ? { lastRun: summary.last } : {}),
      ...(active.length ? { activeRuns: active } : {}),
    };
  }

  /** Runs of this task, oldest first. */
  history(limit?: number): RunRecord[] {
    return this.opts.history.list(this.name, limit);
  }

  logs(q: LogQuery): LogSelection {
    if (q.instance !== undefined) {
      throw new JobctlError('WRONG_KIND', `task "${this.name}" is a cron task; --instance is for service tasks (use --run ID)`);
    }
    const runs = this.history();
    const explicit = q.run !== undefined && q.run !== 'last';
    let runId: string | undefined;
    if (!explicit) runId = runs.findLast((r) => r.startedAt !== undefined)?.id;
    else {
      runId = runs.find((r) => r.id === q.run || r.id.startsWith(q.run!))?.id;
      if (!runId) throw new JobctlError('NOT_FOUND', `task "${this.name}" has no run "${q.run}"; \`jobctl history ${this.name}\` lists them`);
    }
    return {
      read: (n) => (runId ? [tailRotated(this.opts.paths.runLog(this.name, runId), n)] : [{ lines: [], files: [] }]),
      follow: (onSink, onEnd) => {
        const offs: Array<() => void> = [];
        const active = runId ? this.procs.get(runId)?.sink : undefined;
        if (explicit) {
          // That run, to its end.
          if (!active) {
            setImmediate(() => onEnd(`run ${runId} has ended`));
            return () => undefined;
          }
          onSink(active, { run: runId! });
          const onRun = (r: RunRecord) => {
            if (r.id === runId && isFinalRunState(r.state)) onEnd(`run ${r.id} ${r.state}`);
          };
          this.on('run', onRun);
          return () => this.off('run', onRun);
        }
        // The task: the run under way and every run that starts, until the task goes.
        if (active) onSink(active, { run: runId! });
        const onNew = (id: string, sink: LogSink) => onSink(sink, { run: id } satisfies LogOrigin);
        const onGone = () => onEnd(`task "${this.name}" was removed or replaced`);
        this.on('sink', onNew);
        this.once('disposed', onGone);
        offs.push(() => this.off('sink', onNew), () => this.off('disposed', onGone));
        return () => offs.forEach((f) => f());
      },
    };
  }

  private changed(): void {
    this.emit('state');
  }

  /** Stop every run and leave the scheduler. Safe to call twice. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.unregister();
      this.desired = 'stopped';
      this.commands.close();
      this.dispatch({ type: 'halt', reason: 'the daemon is stopping' });
      // Every run, also one started while this waits.
      while (this.procs.size > 0) {
        this.dispatch({ type: 'halt', reason: 'the daemon is stopping' });
        await this.gone([...this.procs.keys()]);
      }
      this.dropRunLeaves();
      this.disposed = true;
      this.emit('disposed');
      this.removeAllListeners();
    })();
    return this.disposing;
  }
}
