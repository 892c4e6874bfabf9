import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { catchupPlan, makeRunId, overlapAction, retryDelay, shouldRetry } from '../core/cron-policy.js';
import { DEFAULTS } from '../config/defaults.js';
import type { HomePaths } from '../shared/paths.js';
import type { CronTaskSpec, OverlapPolicy, RunRecord, RunTrigger, XxlRunTag } from '../shared/types.js';
import { realClock, type Clock } from './clock.js';
import { startRun, type PerRunOptions, type RunHandle } from './cron-run.js';
import type { LogSink } from './log-sink.js';
import type { StateStore } from './state-store.js';

export interface CronTaskOptions {
  spec: CronTaskSpec;
  paths: Pick<HomePaths, 'runLog' | 'runLogDir'>;
  store: StateStore;
  clock?: Clock;
  random?: () => number;
  baseEnv?: Record<string, string>;
}

/** Options of one triggered run (from an xxl-job admin): they override the task's for that run only. */
export interface TriggerOptions extends PerRunOptions {
  /** Overlap policy for this firing. */
  overlap?: OverlapPolicy;
  /** Kept on the run record. */
  xxljob?: XxlRunTag;
}

export interface RunNotice {
  task: string;
  event: 'failure' | 'timeout' | 'recovered';
  run: RunRecord;
  message: string;
}

/**
 * One cron task's runs: applies the overlap policy to each firing, keeps at most one
 * queued run, retries failures with doubling delays, runs catch-up firings one after
 * another, and keeps the last `history` records with their logs.
 * Events: 'run' (RunRecord, on every change), 'sink' (runId, LogSink), 'notify' (RunNotice).
 */
export class CronTask extends EventEmitter {
  private spec: CronTaskSpec;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly active = new Map<string, RunHandle>();
  /** Per-run options of runs not yet started or still going. */
  private readonly perRun = new Map<string, PerRunOptions>();
  private queued: RunRecord | undefined;
  private replacing = false;
  private catchupQueue: Array<{ at: number }> = [];
  private readonly retryTimers = new Set<unknown>();
  private lastFailed: boolean | undefined;
  private stopped = false;

  constructor(private readonly opts: CronTaskOptions) {
    super();
    this.spec = opts.spec;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    const last = this.records().filter((r) => isFinished(r)).at(-1);
    if (last) this.lastFailed = last.state === 'failed' || last.state === 'timed-out';
    // Records left 'running' or 'queued' by a daemon that died are closed now.
    for (const r of this.records()) {
      if (r.state === 'running' || r.state === 'queued') {
        r.state = r.state === 'running' ? 'killed' : 'skipped';
        r.message = 'the daemon stopped before this run ended';
        r.endedAt ??= this.clock.now();
        this.opts.store.changed();
      }
    }
  }

  get name(): string {
    return this.spec.name;
  }

  get taskSpec(): CronTaskSpec {
    return this.spec;
  }

  update(spec: CronTaskSpec): void {
    this.spec = spec;
    this.trim();
  }

  private records(): RunRecord[] {
    const runs = this.opts.store.data.runs;
    return (runs[this.spec.name] ??= []);
  }

  /** Runs of this task, oldest first (a copy). */
  history(limit?: number): RunRecord[] {
    const all = this.records().map((r) => ({ ...r }));
    return limit === undefined ? all : all.slice(-limit);
  }

  /** How many retry attempts are in the kept history. */
  retryCount(): number {
    return this.records().reduce((n, r) => n + (r.trigger === 'retry' ? 1 : 0), 0);
  }

  /** The newest run that has started. */
  lastRun(): RunRecord | undefined {
    const records = this.records();
    for (let i = records.length - 1; i >= 0; i--) if (records[i]!.startedAt !== undefined) return { ...records[i]! };
    return undefined;
  }

  runningRuns(): RunRecord[] {
    return [...this.active.values()].map((h) => ({ ...h.record }));
  }

  sinkOf(runId: string): LogSink | undefined {
    return this.active.get(runId)?.sink;
  }

  /** The persisted last scheduled time, for catch-up. */
  markScheduled(at: number): void {
    this.opts.store.data.lastScheduled[this.spec.name] = at;
    this.opts.store.changed();
  }

  /** A firing from the scheduler (or a retry, or a manual trigger). Returns the record made. */
  fire(scheduledAt: number, trigger: RunTrigger, attempt = 1, options: TriggerOptions = {}): RunRecord {
    if (trigger === 'schedule') this.markScheduled(scheduledAt);
    const record = this.newRecord(scheduledAt, trigger, attempt);
    const { overlap, xxljob, ...perRun } = options;
    if (xxljob) record.xxljob = { ...xxljob };
    if (Object.keys(perRun).length) this.perRun.set(record.id, perRun);
    const busy = this.active.size + (this.replacing ? 1 : 0);
    const action = overlapAction(overlap ?? this.spec.overlap, busy, this.queued !== undefined);
    switch (action) {
      case 'start':
        this.begin(record);
        break;
      case 'skip':
        this.close(record, 'skipped', this.queued
          ? 'previous run still going and one run already waiting (overlap: queue)'
          : 'previous run still going (overlap: skip)');
        break;
      case 'queue':
        record.state = 'queued';
        record.message = 'waiting for the previous run (overlap: queue)';
        this.queued = record;
        this.changed(record);
        break;
      case 'replace': {
        record.state = 'queued';
        record.message = 'replacing the previous run (overlap: replace)';
        this.changed(record);
        const old = [...this.active.values()];
        this.replacing = true;
        for (const h of old) h.kill('replaced by a newer run (overlap: replace)');
        void Promise.all(old.map((h) => h.done)).then(() => {
          this.replacing = false;
          if (this.stopped) this.close(record, 'skipped', 'the task was stopped');
          else {
            delete record.message;
            this.begin(record);
          }
        });
        break;
      }
    }
    return { ...record };
  }

  /** Trigger a run now (`jobctl run`). The overlap policy applies. */
  runNow(): RunRecord {
    this.stopped = false;
    return this.fire(this.clock.now(), 'manual');
  }

  /** Trigger a run now with per-run options (an xxl-job admin's trigger). */
  trigger(trigger: RunTrigger, options: TriggerOptions): RunRecord {
    return this.fire(this.clock.now(), trigger, 1, options);
  }

  /** End one run: a running one is killed, a queued one dropped. Returns whether it was found. */
  cancel(runId: string, reason: string): boolean {
    const h = this.active.get(runId);
    if (h) {
      h.kill(reason);
      return true;
    }
    if (this.queued?.id === runId) {
      const q = this.queued;
      this.queued = undefined;
      this.close(q, 'skipped', reason);
      return true;
    }
    return false;
  }

  /** A run is going or waiting. */
  get busy(): boolean {
    return this.active.size > 0 || this.queued !== undefined || this.replacing;
  }

  /** Kill the runs under way; returns how many. */
  kill(reason = 'killed by request'): number {
    const runs = [...this.active.values()];
    for (const h of runs) h.kill(reason);
    return runs.length;
  }

  /** Signal the runs under way. */
  signal(sig: NodeJS.Signals): number {
    return [...this.active.values()].filter((h) => h.signal(sig)).length;
  }

  /**
   * After downtime: decide from the persisted last scheduled time which missed firings run.
   * Returns how many will run.
   */
  catchUp(now: number): number {
    const schedule = this.spec.schedule;
    if (schedule === undefined) return 0;
    const last = this.opts.store.data.lastScheduled[this.spec.name];
    if (last === undefined) {
      this.markScheduled(now);
      return 0;
    }
    const plan = catchupPlan({ ...this.spec, schedule }, this.spec.catchup, last, now, DEFAULTS.cron.catchupCap);
    if (plan.latest !== undefined) this.markScheduled(plan.latest);
    if (plan.skipped > 0 && this.spec.catchup !== 'none') {
      const r = this.newRecord(plan.latest ?? now, 'catchup', 1);
      this.close(r, 'skipped', `${plan.skipped} missed firing${plan.skipped === 1 ? '' : 's'} not run (catchup: ${this.spec.catchup}${this.spec.catchup === 'all' ? `, at most ${DEFAULTS.cron.catchupCap}` : ''})`);
    }
    for (const at of plan.run) this.catchupQueue.push({ at });
    this.drainQueues();
    return plan.run.length;
  }

  private newRecord(scheduledAt: number, trigger: RunTrigger, attempt: number): RunRecord {
    const record: RunRecord = { id: makeRunId(this.clock.now(), this.random), task: this.spec.name, scheduledAt, attempt, trigger, state: 'queued' };
    this.records().push(record);
    return record;
  }

  private begin(record: RunRecord): void {
    const handle = startRun(this.spec, record, {
      logPath: this.opts.paths.runLog(this.spec.name, record.id),
      store: this.opts.store,
      clock: this.clock,
      ...(this.opts.baseEnv ? { baseEnv: this.opts.baseEnv } : {}),
      onSink: (sink) => this.emit('sink', record.id, sink),
      ...(this.perRun.has(record.id) ? { perRun: this.perRun.get(record.id)! } : {}),
    });
    this.active.set(record.id, handle);
    this.changed(record);
    void handle.done.then((final) => this.ended(final));
  }

  private ended(record: RunRecord): void {
    this.active.delete(record.id);
    this.perRun.delete(record.id);
    this.changed(record);
    this.notifyOutcome(record);
    // The admin retries its own triggers ("fail retry count"); jobctl does not retry them again.
    if (!record.xxljob && shouldRetry(record.state, record.attempt, this.spec.retries) && !this.stopped) {
      const delay = retryDelay(this.spec.retryDelayMs, record.attempt);
      const t = this.clock.setTimeout(() => {
        this.retryTimers.delete(t);
        if (!this.stopped) this.fire(record.scheduledAt, 'retry', record.attempt + 1);
      }, delay);
      this.retryTimers.add(t);
    }
    this.drainQueues();
    this.trim();
  }

  private drainQueues(): void {
    if (this.active.size > 0 || this.replacing || this.stopped) return;
    if (this.queued) {
      const next = this.queued;
      this.queued = undefined;
      delete next.message;
      this.begin(next);
      return;
    }
    const c = this.catchupQueue.shift();
    if (c) this.begin(this.newRecord(c.at, 'catchup', 1));
  }

  private notifyOutcome(r: RunRecord): void {
    const failed = r.state === 'failed' || r.state === 'timed-out';
    if (r.state === 'failed') this.emit('notify', { task: r.task, event: 'failure', run: { ...r }, message: r.message ?? 'failed' } satisfies RunNotice);
    if (r.state === 'timed-out') this.emit('notify', { task: r.task, event: 'timeout', run: { ...r }, message: r.message ?? 'timed out' } satisfies RunNotice);
    if (r.state === 'succeeded' && this.lastFailed) this.emit('notify', { task: r.task, event: 'recovered', run: { ...r }, message: 'succeeded again' } satisfies RunNotice);
    if (r.state === 'succeeded' || failed) this.lastFailed = failed;
  }

  private close(record: RunRecord, state: 'skipped', message: string): void {
    this.perRun.delete(record.id);
    record.state = state;
    record.message = message;
    record.endedAt = this.clock.now();
    this.changed(record);
    this.trim();
  }

  private changed(record: RunRecord): void {
    this.opts.store.changed();
    this.emit('run', { ...record });
  }

  /** Keep the newest `history` finished runs; delete older records and their logs. */
  private trim(): void {
    const records = this.records();
    const finished = records.filter(isFinished);
    const excess = finished.length - this.spec.history;
    if (excess <= 0) return;
    const drop = new Set(finished.slice(0, excess).map((r) => r.id));
    this.opts.store.data.runs[this.spec.name] = records.filter((r) => !drop.has(r.id));
    this.opts.store.changed();
    for (const id of drop) fs.rm(this.opts.paths.runLog(this.spec.name, id), { force: true }, () => undefined);
  }

  /** Stop: no more retries or queued runs; runs under way get stop_signal and are waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers) this.clock.clearTimeout(t);
    this.retryTimers.clear();
    if (this.queued) {
      this.close(this.queued, 'skipped', 'the task was stopped');
      this.queued = undefined;
    }
    this.catchupQueue = [];
    const runs = [...this.active.values()];
    for (const h of runs) h.kill('the task was stopped');
    await Promise.all(runs.map((h) => h.done));
  }

  /** Allow firings again after stop(). */
  resume(): void {
    this.stopped = false;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Safe to call twice. */
  async dispose(): Promise<void> {
    await this.stop();
    this.removeAllListeners();
  }
}

function isFinished(r: RunRecord): boolean {
  return r.state !== 'running' && r.state !== 'queued';
}
