import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HEALTH_STATES, INSTANCE_STATES, type RunRecord, type RunState } from '../../shared/types.js';
import type { TaskStatus } from '../../shared/protocol.js';
import { registerProcessMetrics } from './process-metrics.js';
import { firingsBetween, nextRunAt, type ScheduleRef } from '../../core/schedule.js';
import { FINAL_RUN_STATES } from '../../core/cron-run-machine.js';

/**
 * What the daemon exposes at /metrics (DESIGN.md "Metrics"), built on prom-client.
 * Names follow Prometheus conventions: a `jobctl_` prefix (beside the standard `process_*` and
 * `nodejs_*` of the daemon process), base units (seconds, bytes),
 * `_total` on counters, state sets as one series per state with value 0 or 1. Figures are
 * read from the same task status `jobctl status --json` shows, at scrape time; run counts
 * and duration histograms come from run events since the daemon started. No label reuses a
 * name the scraper sets itself (`job`, `instance`): an instance number is `process_num`, as in
 * supervisord's exporters, so Prometheus never renames it to `exported_instance`.
 */

export interface MetricsSource {
  /** Every task's status, as `jobctl status --json` shows it. */
  tasks(): TaskStatus[];
  /** Called first at each scrape: resolves once the figures `tasks()` shows are read (after an idle spell). */
  fresh?(): Promise<void> | undefined;
  /** Problems in the task files and jobctl.yaml now. */
  configErrors(): number;
  /** Every change of a cron run record; returns the unsubscribe function. */
  onRun(listener: (run: RunRecord) => void): () => void;
  /** When the daemon started (Unix ms). Not exported: prom-client's `process_start_time_seconds` is read from the process itself. */
  startedAt: number;
  version: string;
  /** @default Date.now */
  now?: () => number;
}

/** Run states that end a run (counted once per run id). */
const FINAL: ReadonlySet<RunState> = FINAL_RUN_STATES;
const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];
const LATENESS_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60];
/** Run ids remembered so a record emitted twice is counted once. */
const SEEN_LIMIT = 10_000;

const sec = (ms: number) => ms / 1000;

export class MetricsCollector {
  readonly registry = new Registry();
  private readonly seen = new Set<string>();
  private readonly lastSuccess = new Map<string, number>();
  /** The schedule's interval per task, by task, schedule, zone and next firing (computed once per firing). */
  private readonly gaps = new Map<string, number | null>();
  private readonly unsubscribe: () => void;
  private readonly runs: Counter<'task' | 'outcome'>;
  private readonly duration: Histogram<'task'>;
  private readonly lateness: Histogram<'task'>;
  private closed = false;
  /** The task statuses of the scrape under way. */
  private snapshot: TaskStatus[] | undefined;
  private inflight: Promise<string> | undefined;

  constructor(private readonly source: MetricsSource) {
    const now = source.now ?? Date.now;
    const r = [this.registry];

    // ---- the daemon itself: the standard process_* and nodejs_* figures, then ours ----
    registerProcessMetrics(this.registry);
    new Gauge({ name: 'jobctl_build_info', help: 'jobctl version of this daemon (always 1)', labelNames: ['version'], registers: r,
      collect() { this.set({ version: source.version }, 1); } });
    new Gauge({ name: 'jobctl_config_errors', help: 'Problems in the task files and jobctl.yaml now (the last good config runs)', registers: r,
      collect() { this.set(source.configErrors()); } });

    // ---- every task ----
    // One status read per scrape (each read samples the processes), shared by every metric.
    const tasks = () => (this.snapshot ??= source.tasks());
    new Gauge({ name: 'jobctl_task_info', help: 'One series per task (always 1)', labelNames: ['task', 'group', 'kind'], registers: r,
      collect() {
        this.reset();
        for (const t of tasks()) this.set({ task: t.name, group: t.group, kind: t.kind }, 1);
      } });
    new Gauge({ name: 'jobctl_task_enabled', help: '1 when the task is enabled in its file', labelNames: ['task'], registers: r,
      collect() {
        this.reset();
        for (const t of tasks()) this.set({ task: t.name }, t.enabled ? 1 : 0);
      } });
    new Gauge({ name: 'jobctl_task_waiting', help: '1 while the task waits for its dependencies (depends_on)', labelNames: ['task'], registers: r,
      collect() {
        this.reset();
        for (const t of tasks()) this.set({ task: t.name }, t.waiting ? 1 : 0);
      } });

    // ---- service tasks, per instance ----
    const instances = function* () {
      for (const t of tasks()) for (const i of t.instances ?? []) yield { t, i, labels: { task: t.name, process_num: String(i.index) } };
    };
    new Gauge({ name: 'jobctl_instance_state', help: 'State of each instance: 1 for the current state, 0 for the others', labelNames: ['task', 'process_num', 'state'], registers: r,
      collect() {
        this.reset();
        for (const { i, labels } of instances()) for (const state of INSTANCE_STATES) this.set({ ...labels, state }, i.state === state ? 1 : 0);
      } });
    new Counter({ name: 'jobctl_instance_restarts_total', help: 'Restarts of each instance since the daemon started', labelNames: ['task', 'process_num'], registers: r,
      collect() {
        this.reset();
        for (const { i, labels } of instances()) this.inc(labels, i.restarts);
      } });
    new Gauge({ name: 'jobctl_instance_uptime_seconds', help: 'Time since the instance\'s process started; 0 without a process', labelNames: ['task', 'process_num'], registers: r,
      collect() {
        this.reset();
        const at = now();
        for (const { i, labels } of instances()) this.set(labels, i.pid !== undefined && i.startedAt !== undefined ? Math.max(0, sec(at - i.startedAt)) : 0);
      } });
    new Counter({ name: 'jobctl_instance_cpu_seconds_total', help: 'CPU time of the live processes of the instance\'s process group', labelNames: ['task', 'process_num'], registers: r,
      collect() {
        this.reset();
        for (const { i, labels } of instances()) if (i.cpuSeconds !== undefined) this.inc(labels, i.cpuSeconds);
      } });
    new Gauge({ name: 'jobctl_instance_resident_memory_bytes', help: 'Resident memory (RSS) of the instance\'s processes summed, as ps shows it', labelNames: ['task', 'process_num'], registers: r,
      collect() {
        this.reset();
        for (const { i, labels } of instances()) if (i.rss !== undefined) this.set(labels, i.rss);
      } });
    new Gauge({ name: 'jobctl_instance_health', help: 'Health check state of each instance: 1 for the current state, 0 for the others', labelNames: ['task', 'process_num', 'state'], registers: r,
      collect() {
        this.reset();
        for (const { i, labels } of instances()) {
          if (i.health) for (const state of HEALTH_STATES) this.set({ ...labels, state }, i.health.state === state ? 1 : 0);
        }
      } });
    new Gauge({ name: 'jobctl_instance_health_failures', help: 'Consecutive failed health probes of each instance', labelNames: ['task', 'process_num'], registers: r,
      collect() {
        this.reset();
        for (const { i, labels } of instances()) if (i.health) this.set(labels, i.health.failures);
      } });

    // ---- cron tasks (a service's status has no runs, schedule or next firing: it adds no series) ----
    const crons = tasks;
    this.runs = new Counter({ name: 'jobctl_cron_runs_total', help: 'Finished cron runs since the daemon started, by outcome', labelNames: ['task', 'outcome'], registers: r });
    this.duration = new Histogram({ name: 'jobctl_cron_run_duration_seconds', help: 'How long cron runs took', labelNames: ['task'], buckets: DURATION_BUCKETS, registers: r });
    this.lateness = new Histogram({ name: 'jobctl_cron_start_lateness_seconds', help: 'Delay from the scheduled time to the start of scheduled runs (jitter included)', labelNames: ['task'], buckets: LATENESS_BUCKETS, registers: r });
    const lastSuccess = this.lastSuccess;
    new Gauge({ name: 'jobctl_cron_last_success_timestamp_seconds', help: 'When the last successful run of each cron task ended, Unix time', labelNames: ['task'], registers: r,
      collect() {
        this.reset();
        for (const t of crons()) {
          const last = t.lastRun?.state === 'succeeded' ? t.lastRun.endedAt : undefined;
          const at = Math.max(lastSuccess.get(t.name) ?? 0, last ?? 0);
          if (at) this.set({ task: t.name }, sec(at));
        }
      } });
    new Gauge({ name: 'jobctl_cron_last_run_timestamp_seconds', help: 'When the last run of each cron task started, Unix time', labelNames: ['task'], registers: r,
      collect() {
        this.reset();
        for (const t of crons()) if (t.lastRun?.startedAt !== undefined) this.set({ task: t.name }, sec(t.lastRun.startedAt));
      } });
    new Gauge({ name: 'jobctl_cron_last_run_duration_seconds', help: 'How long the last finished run of each cron task took', labelNames: ['task'], registers: r,
      collect() {
        this.reset();
        for (const t of crons()) {
          const l = t.lastRun;
          if (l?.startedAt !== undefined && l.endedAt !== undefined) this.set({ task: t.name }, sec(l.endedAt - l.startedAt));
        }
      } });
    new Gauge({ name: 'jobctl_cron_last_run_success', help: '1 when the last finished run of each cron task succeeded, 0 when not', labelNames: ['task'], registers: r,
      collect() {
        this.reset();
        for (const t of crons()) if (t.lastRun && FINAL.has(t.lastRun.state) && t.lastRun.state !== 'skipped') this.set({ task: t.name }, t.lastRun.state === 'succeeded' ? 1 : 0);
      } });
    new Gauge({ name: 'jobctl_cron_next_run_timestamp_seconds', help: 'When each scheduled cron task fires next, Unix time', labelNames: ['task'], registers: r,
      collect() {
        this.reset();
        for (const t of crons()) if (t.nextRunAt !== undefined) this.set({ task: t.name }, sec(t.nextRunAt));
      } });
    const gaps = this.gaps;
    new Gauge({ name: 'jobctl_cron_interval_seconds', help: 'The schedule\'s interval at the next firing: from the firing before it to it (the alert rules\' expected interval)', labelNames: ['task'], registers: r,
      collect() {
        this.reset();
        for (const t of crons()) {
          if (t.nextRunAt === undefined || t.schedule === undefined) continue;
          const key = `${t.name}\0${t.schedule}\0${t.timezone ?? ''}\0${t.nextRunAt}`;
          let gap = gaps.get(key);
          if (gap === undefined) {
            gap = scheduleGap({ schedule: t.schedule, ...(t.timezone ? { timezone: t.timezone } : {}) }, t.nextRunAt);
            for (const k of gaps.keys()) if (k.startsWith(`${t.name}\0`)) gaps.delete(k);
            gaps.set(key, gap);
          }
          if (gap !== null) this.set({ task: t.name }, sec(gap));
        }
      } });
    new Gauge({ name: 'jobctl_cron_running_runs', help: 'Runs of each cron task going now', labelNames: ['task'], registers: r,
      collect() {
        this.reset();
        for (const t of crons()) this.set({ task: t.name }, t.activeRuns?.length ?? 0);
      } });

    this.unsubscribe = source.onRun((run) => this.onRun(run));
  }

  private onRun(run: RunRecord): void {
    if (!FINAL.has(run.state) || this.seen.has(run.id)) return;
    this.seen.add(run.id);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!);
    this.runs.inc({ task: run.task, outcome: run.state });
    if (run.startedAt !== undefined && run.endedAt !== undefined) this.duration.observe({ task: run.task }, sec(run.endedAt - run.startedAt));
    if (run.startedAt !== undefined && (run.trigger === 'schedule' || run.trigger === 'catchup')) {
      this.lateness.observe({ task: run.task }, Math.max(0, sec(run.startedAt - run.scheduledAt)));
    }
    if (run.state === 'succeeded' && run.endedAt !== undefined) this.lastSuccess.set(run.task, run.endedAt);
  }

  /** The text format, as Prometheus scrapes it. */
  metrics(): Promise<string> {
    // Scrapes that arrive while one is collected get its answer: N parallel scrapes cost one.
    this.inflight ??= (async () => {
      await this.source.fresh?.();
      return this.registry.metrics();
    })().finally(() => {
      this.snapshot = undefined;
      this.inflight = undefined;
    });
    return this.inflight;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.registry.clear();
  }
}

const DAY = 86_400_000;

/**
 * The interval of `spec` around `at` (a next firing, jitter maybe included): from the firing
 * before the first firing at or after `at`, to it. It depends on the schedule only, never on
 * when runs started: a hung run whose later firings are skipped must not stretch it. Null when
 * the schedule fires once or not at all around `at`.
 */
export function scheduleGap(spec: ScheduleRef, at: number): number | null {
  try {
    const f = nextRunAt(spec, at - 1);
    if (f === undefined) return null;
    const after = nextRunAt(spec, f);
    let span = Math.max(1000, after !== undefined ? after - f : DAY);
    while (span <= 800 * DAY) {
      const prev = firingsBetween(spec, f - span, f - 1, 0, 1000).last;
      if (prev !== undefined) return f - prev;
      span *= 2;
    }
    return null;
  } catch {
    return null;
  }
}
