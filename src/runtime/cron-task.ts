import { EventEmitter } from 'node:events';
import { catchupPlan, makeRunId, overlapAction, retryDelay, shouldRetry } from '../core/cron-policy.js';
import { DEFAULTS } from '../config/defaults.js';
import type { HomePaths } from '../shared/paths.js';
import type { CronTaskSpec, RunRecord, RunTrigger } from '../shared/types.js';
import { realClock, type Clock } from './clock.js';
import { startRun, type RunHandle } from './cron-run.js';
import type { LogSink } from './log-sink.js';
import type { RunHistory } from './run-history.js';
import type { StateStore } from './state-store.js';

export interface CronTaskOptions {
  spec: CronTaskSpec;
  paths: Pick<HomePaths, 'runLog' | 'runLogDir'>;
  /** Last fire times (catch-up) and child records. */
  store: StateStore;
  /** Where run records go; the runner is its only writer for this task. */
  history: RunHistory;
  clock?: Clock;
  random?: () => number;
  baseEnv?: Record<string, string>;
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
    const summary = opts.history.summary(this.spec.name);
    const last = summary.lastFinished;
    if (last) this.lastFailed = last.state === 'failed' || last.state === 'timed-out';
    // Records left 'running' or 'queued' by a daemon that died are closed now.
    for (const r of summary.unfinished) {
      r.state = r.state === 'running' ? 'killed' : 'skipped';
      r.message = 'the daemon stopped before this run ended';
      r.endedAt ??= this.clock.now();
      opts.history.write(r);
    }
    opts.history.retain(this.spec.name, this.spec.history);
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

  /** Runs of this task, oldest first (a copy; read from disk). */
  history(limit?: number): RunRecord[] {
    return this.opts.history.list(this.spec.name, limit);
  }

  /** How many retry attempts are in the kept history. */
  retryCount(): number {
    return this.opts.history.summary(this.spec.name).retries;
  }

  /** The newest run that has started. */
  lastRun(): RunRecord | undefined {
    return this.opts.history.summary(this.spec.name).last;
  }

  runningRuns(): RunRecord[] {
    return [...this.active.values()].map((h) => ({ ...h.record }));
  }

  sinkOf(runId: string): LogSink | undefined {
    return this.active.get(runId)?.sink;
  }

  /** The persisted last scheduled time, for catch-up. */
  markScheduled(at: number): void {
    this.opts.store.setLastScheduled(this.spec.name, at);
  }

  /** A firing from the scheduler (or a retry, or a manual trigger). Returns the record made. */
  fire(scheduledAt: number, trigger: RunTrigger, attempt = 1): RunRecord {
    if (trigger === 'schedule') this.markScheduled(scheduledAt);
    const record = this.newRecord(scheduledAt, trigger, attempt);
    const busy = this.active.size + (this.replacing ? 1 : 0);
    const action = overlapAction(this.spec.overlap, busy, this.queued !== undefined);
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
    const last = this.opts.store.lastScheduled(this.spec.name);
    if (last === undefined) {
      this.markScheduled(now);
      return 0;
    }
    const plan = catchupPlan(this.spec, this.spec.catchup, last, now, DEFAULTS.cron.catchupCap);
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
    return { id: makeRunId(this.clock.now(), this.random), task: this.spec.name, scheduledAt, attempt, trigger, state: 'queued' };
  }

  private begin(record: RunRecord): void {
    const handle = startRun(this.spec, record, {
      logPath: this.opts.paths.runLog(this.spec.name, record.id),
      store: this.opts.store,
      clock: this.clock,
      ...(this.opts.baseEnv ? { baseEnv: this.opts.baseEnv } : {}),
      onSink: (sink) => this.emit('sink', record.id, sink),
    });
    this.active.set(record.id, handle);
    this.changed(record);
    void handle.done.then((final) => this.ended(final));
  }

  private ended(record: RunRecord): void {
    this.active.delete(record.id);
    this.changed(record);
    this.notifyOutcome(record);
    if (shouldRetry(record.state, record.attempt, this.spec.retries) && !this.stopped) {
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
    record.state = state;
    record.message = message;
    record.endedAt = this.clock.now();
    this.changed(record);
    this.trim();
  }

  private changed(record: RunRecord): void {
    this.opts.history.write(record);
    this.emit('run', { ...record });
  }

  /** Keep the newest `history` finished runs (older records and their logs go, in batches). */
  private trim(): void {
    this.opts.history.retain(this.spec.name, this.spec.history);
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
