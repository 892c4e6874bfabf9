import { describeExit } from './instance-machine.js';
import { retryDelay, runOutcome, shouldRetry, type RunEnd } from './cron-policy.js';
import type { OverlapPolicy, RunState, RunTrigger } from '../shared/types.js';

/**
 * The runs of one cron task as a pure machine (DESIGN.md "Controller: one owner per
 * decision"): a firing, a run's end, a stop or a resume goes in; the next snapshot and the
 * effects for the runtime come out. Overlap policies are its transitions. It is the only
 * place that decides a run's state: the runtime writes what the `state` effects say.
 *
 * Invariants: a waiting run exists only while runs are going; at most one run waits;
 * backlog (catch-up) runs start one after another when nothing else runs.
 */

/** A firing on its way to being a run: what the machine needs to know of it. */
export interface RunRef {
  id: string;
  scheduledAt: number;
  trigger: RunTrigger;
  attempt: number;
  /** The overlap policy for this firing: the spec's, or a per-run override. */
  overlap: OverlapPolicy;
  /** Retries of this firing when it fails, when not the spec's (0: its caller retries on its own). */
  retries?: number;
}

export interface CronSnapshot {
  /** Runs with a process, oldest first. */
  running: RunRef[];
  /** Ids of running runs asked to stop (replace, stop). */
  stopping: string[];
  /** The one run waiting for the running ones to end (overlap queue/replace). */
  waiting?: RunRef;
  /** Catch-up firings, run one after another when nothing runs. */
  backlog: RunRef[];
  /** The task is stopped: no scheduled, catch-up or retry run starts; manual runs still do. */
  halted: boolean;
}

/** How a run's process ended, as the runtime saw it. */
export interface RunEndEvent extends RunEnd {
  /** Why, when the runtime knows better than the exit (spawn error, timeout text, stop reason). */
  message?: string;
  /** The process could not be started at all. */
  spawnFailed?: boolean;
}

export type CronEvent =
  | { type: 'fire'; run: RunRef }
  /** A firing that will not run (gate refused it, it was missed): recorded as skipped. */
  | { type: 'refuse'; run: RunRef; reason: string }
  /** Catch-up firings to run in order, after what is going. */
  | { type: 'backlog'; runs: RunRef[] }
  | { type: 'ended'; id: string; end: RunEndEvent }
  | { type: 'halt'; reason: string }
  | { type: 'resume' }
  /** End one run: a running one is stopped, a waiting or backlog one skipped. */
  | { type: 'cancel'; id: string; reason: string };

export type CronEffect =
  /** Write this state (and message) to the run's record: the only way a run's state changes. */
  | { type: 'state'; run: RunRef; state: RunState; message?: string }
  /** Start the run's process. Always preceded by its `state: running`. */
  | { type: 'spawn'; run: RunRef }
  /** Stop the run's process group gracefully (stop_signal, then SIGKILL after stop_timeout). */
  | { type: 'stop-run'; id: string; reason: string }
  /** Fire a retry of `run` after `delayMs` (attempt is the next one). */
  | { type: 'retry'; run: RunRef; attempt: number; delayMs: number }
  /** Forget every retry that is waiting for its delay. */
  | { type: 'cancel-retries' };

export interface RetryConfig {
  retries: number;
  retryDelayMs: number;
}

export interface CronTransition {
  next: CronSnapshot;
  effects: CronEffect[];
}

export const FINAL_RUN_STATES: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'timed-out', 'killed', 'skipped']);

export function initialCronSnapshot(halted = false): CronSnapshot {
  return { running: [], stopping: [], backlog: [], halted };
}

export const SKIP_REASONS = {
  skip: 'previous run still going (overlap: skip)',
  queueFull: 'previous run still going and one run already waiting (overlap: queue)',
  superseded: 'superseded by a newer firing while the previous run stopped (overlap: replace)',
  stopped: 'the task was stopped',
} as const;

export function cronTransition(s: CronSnapshot, e: CronEvent, cfg: RetryConfig): CronTransition {
  switch (e.type) {
    case 'fire':
      return fire(s, e.run);
    case 'refuse':
      return { next: s, effects: [{ type: 'state', run: e.run, state: 'skipped', message: e.reason }] };
    case 'backlog':
      return drain({ ...s, backlog: [...s.backlog, ...e.runs] }, []);
    case 'ended':
      return ended(s, e.id, e.end, cfg);
    case 'halt': {
      const effects: CronEffect[] = [{ type: 'cancel-retries' }];
      if (s.waiting) effects.push({ type: 'state', run: s.waiting, state: 'skipped', message: SKIP_REASONS.stopped });
      for (const r of s.backlog) effects.push({ type: 'state', run: r, state: 'skipped', message: SKIP_REASONS.stopped });
      const stopping = [...s.stopping];
      for (const r of s.running) {
        if (stopping.includes(r.id)) continue;
        stopping.push(r.id);
        effects.push({ type: 'stop-run', id: r.id, reason: e.reason });
      }
      const next: CronSnapshot = { running: s.running, stopping, backlog: [], halted: true };
      return { next, effects };
    }
    case 'resume':
      return drain({ ...s, halted: false }, []);
    case 'cancel':
      return cancel(s, e.id, e.reason);
  }
}

function cancel(s: CronSnapshot, id: string, reason: string): CronTransition {
  if (s.running.some((r) => r.id === id)) {
    if (s.stopping.includes(id)) return { next: s, effects: [] };
    return { next: { ...s, stopping: [...s.stopping, id] }, effects: [{ type: 'stop-run', id, reason }] };
  }
  if (s.waiting?.id === id) {
    const next: CronSnapshot = { ...s };
    delete next.waiting;
    return { next, effects: [{ type: 'state', run: s.waiting, state: 'skipped', message: reason }] };
  }
  const queued = s.backlog.find((r) => r.id === id);
  if (queued) return { next: { ...s, backlog: s.backlog.filter((r) => r !== queued) }, effects: [{ type: 'state', run: queued, state: 'skipped', message: reason }] };
  return { next: s, effects: [] };
}

function start(s: CronSnapshot, run: RunRef, effects: CronEffect[], message?: string): CronSnapshot {
  effects.push({ type: 'state', run, state: 'running', ...(message !== undefined ? { message } : {}) }, { type: 'spawn', run });
  return { ...s, running: [...s.running, run] };
}

function fire(s: CronSnapshot, run: RunRef): CronTransition {
  const effects: CronEffect[] = [];
  if (s.halted && run.trigger !== 'manual') {
    return { next: s, effects: [{ type: 'state', run, state: 'skipped', message: SKIP_REASONS.stopped }] };
  }
  if (s.running.length === 0 && !s.waiting) return { next: start(s, run, effects), effects };
  switch (run.overlap) {
    case 'allow':
      return { next: start(s, run, effects), effects };
    case 'skip':
      return { next: s, effects: [{ type: 'state', run, state: 'skipped', message: SKIP_REASONS.skip }] };
    case 'queue':
      if (s.waiting) return { next: s, effects: [{ type: 'state', run, state: 'skipped', message: SKIP_REASONS.queueFull }] };
      effects.push({ type: 'state', run, state: 'queued', message: 'waiting for the previous run (overlap: queue)' });
      return { next: { ...s, waiting: run }, effects };
    case 'replace': {
      // At most one waits: a newer firing takes the place of an older waiting one.
      if (s.waiting) effects.push({ type: 'state', run: s.waiting, state: 'skipped', message: SKIP_REASONS.superseded });
      effects.push({ type: 'state', run, state: 'queued', message: 'replacing the previous run (overlap: replace)' });
      const stopping = [...s.stopping];
      for (const r of s.running) {
        if (stopping.includes(r.id)) continue;
        stopping.push(r.id);
        effects.push({ type: 'stop-run', id: r.id, reason: 'replaced by a newer run (overlap: replace)' });
      }
      return { next: { ...s, stopping, waiting: run }, effects };
    }
  }
}

function ended(s: CronSnapshot, id: string, end: RunEndEvent, cfg: RetryConfig): CronTransition {
  const run = s.running.find((r) => r.id === id);
  if (!run) return { next: s, effects: [] };
  const wasStopped = s.stopping.includes(id);
  const state: RunState = end.spawnFailed ? 'failed' : runOutcome({ ...end, killed: end.killed || wasStopped });
  const message = end.message ?? (state === 'failed' ? describeExit(end) : undefined);
  const effects: CronEffect[] = [{ type: 'state', run, state, ...(message !== undefined ? { message } : {}) }];
  if (!s.halted && shouldRetry(state, run.attempt, run.retries ?? cfg.retries)) {
    effects.push({ type: 'retry', run, attempt: run.attempt + 1, delayMs: retryDelay(cfg.retryDelayMs, run.attempt) });
  }
  const next: CronSnapshot = { ...s, running: s.running.filter((r) => r.id !== id), stopping: s.stopping.filter((x) => x !== id) };
  return drain(next, effects);
}

/** When nothing runs: the waiting run starts, else the next catch-up run (not while halted). */
function drain(s: CronSnapshot, effects: CronEffect[]): CronTransition {
  if (s.running.length > 0) return { next: s, effects };
  if (s.waiting) {
    const run = s.waiting;
    const rest: CronSnapshot = { ...s };
    delete rest.waiting;
    return { next: start(rest, run, effects), effects };
  }
  if (!s.halted && s.backlog.length > 0) {
    const [run, ...backlog] = s.backlog;
    return { next: start({ ...s, backlog }, run!, effects), effects };
  }
  return { next: s, effects };
}

/** Whether a record in this state is done (kept in history, trimmed by `history`). */
export function isFinalRunState(state: RunState): boolean {
  return FINAL_RUN_STATES.has(state);
}

/** A record left unfinished by a daemon that died: a run that was going was killed, a waiting one never ran. */
export function abandonedRunState(state: RunState): RunState {
  if (state === 'running') return 'killed';
  if (state === 'queued') return 'skipped';
  return state;
}
