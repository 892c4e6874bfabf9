import fs from 'node:fs';
import path from 'node:path';
import { JobctlError, errorMessage } from '../shared/errors.js';
import { TASK_NAME_RE } from '../shared/names.js';
import type { RunRecord } from '../shared/types.js';
import { appendJsonLines, readJsonLines, removeStaleTemps, rewriteJsonLines, truncateTorn } from './jsonl.js';
import type { HistorySummary, RunHistory } from './run-history.js';

export interface FileRunHistoryOptions {
  /** Directory holding one `<task>.jsonl` per cron task (`state/runs`). Created when missing. */
  dir: string;
  /** Where a run's log lives; it is deleted with the run's record. @default logs are left alone */
  runLog?: (task: string, runId: string) => string;
  /** Torn lines skipped, files that could not be written. @default ignored */
  onWarning?: (message: string) => void;
  /** A file is rewritten when it holds more than this many × `keep` finished runs. @default 2 */
  trimFactor?: number;
}

/** What the daemon keeps in memory for one task: the last runs and counts, never the history. */
interface TaskState {
  /** Finished runs to keep (from `retain`); undefined: all. */
  keep: number | undefined;
  last: RunRecord | undefined;
  lastFinished: RunRecord | undefined;
  unfinished: Map<string, RunRecord>;
  /** One byte per finished run in the file, in the order they ended: 1 for a retry attempt. */
  retryFlags: Uint8Array;
  finished: number;
  /** Retries among the newest `keep` finished runs. */
  windowRetries: number;
  /** Ids of the last few finished runs, so a record written again is not counted twice. */
  recentFinished: string[];
  /** The file's records were replayed from disk (lazily, on first use). */
  loaded: boolean;
  /** The last append failed: the file may end in half a line. Said once, until one works. */
  appendFailed: boolean;
  /** The last trim failed: said once, until one works. */
  trimFailed: boolean;
}

const RECENT = 16;

/**
 * Run history in an append-only JSON-lines file per task (DESIGN.md "Runtime directory"):
 * a line is appended when a run is created and when it changes (ends); the newest line of
 * an id wins. A task's file is rewritten, alone, only when it holds more than twice
 * `keep` finished runs, so the cost of a run is a few hundred bytes of append plus an
 * amortised share of one small rewrite, whatever `history` is. In memory: the last run,
 * the last finished run, the runs under way and counts. `list` reads the file.
 */
export class FileRunHistory implements RunHistory {
  private readonly tasks = new Map<string, TaskState>();
  private closed = false;
  /** Bytes appended and rewritten, for tests and benchmarks. */
  bytesWritten = 0;
  /** Whole-file rewrites (trims) done. */
  rewrites = 0;
  /** Lines skipped because they could not be read (torn by a crash), since open. */
  tornLines = 0;

  constructor(private readonly opts: FileRunHistoryOptions) {
    fs.mkdirSync(opts.dir, { recursive: true });
    removeStaleTemps(opts.dir);
  }

  /** The file of one task's runs. */
  fileOf(task: string): string {
    if (!TASK_NAME_RE.test(task)) throw new JobctlError('BAD_REQUEST', `"${task}" is not a task name (lowercase letters, digits, '.', '_', '-')`);
    return path.join(this.opts.dir, `${task}.jsonl`);
  }

  write(record: RunRecord): void {
    if (this.closed) return;
    const s = this.state(record.task);
    const copy = { ...record };
    try {
      this.bytesWritten += appendJsonLines(this.fileOf(record.task), [copy], s.appendFailed);
      if (s.appendFailed) this.warn(`the run history of "${record.task}" is written again`);
      s.appendFailed = false;
    } catch (e) {
      if (!s.appendFailed) this.warn(`could not append to the run history of "${record.task}": ${errorMessage(e)}; its records are kept in memory only until it can be (said once)`);
      s.appendFailed = true;
    }
    apply(s, copy);
    this.trimIfDue(record.task, s);
  }

  list(task: string, limit?: number): RunRecord[] {
    const s = this.state(task);
    const kept = this.readKept(task, s.keep).kept;
    return limit === undefined ? kept : kept.slice(Math.max(0, kept.length - limit));
  }

  summary(task: string): HistorySummary {
    const s = this.state(task);
    const inWindow = s.keep === undefined ? s.finished : Math.min(s.finished, s.keep);
    let retries = s.windowRetries;
    for (const r of s.unfinished.values()) if (r.trigger === 'retry') retries++;
    return {
      ...(s.last ? { last: { ...s.last } } : {}),
      ...(s.lastFinished ? { lastFinished: { ...s.lastFinished } } : {}),
      unfinished: [...s.unfinished.values()].map((r) => ({ ...r })),
      retries,
      total: inWindow + s.unfinished.size,
    };
  }

  retain(task: string, keep: number): void {
    if (this.closed) return;
    const s = this.state(task);
    if (s.keep !== keep) {
      s.keep = keep;
      s.windowRetries = windowSum(s);
    }
    this.trimIfDue(task, s);
  }

  /**
   * A removed task's records and run logs go (its run-log directory is the parent of
   * `runLog(task, id)`); the in-memory summary too. A task re-added later starts empty.
   */
  forget(task: string): void {
    this.tasks.delete(task);
    const file = this.fileOf(task);
    try {
      fs.rmSync(file, { force: true });
    } catch (e) {
      this.warn(`could not remove the run history of the removed task "${task}": ${errorMessage(e)}`);
    }
    const runLog = this.opts.runLog;
    if (runLog) {
      const dir = path.dirname(runLog(task, 'x'));
      fs.rm(dir, { recursive: true, force: true }, (e) => {
        if (e) this.warn(`could not remove the run logs of the removed task "${task}": ${errorMessage(e)}`);
      });
    }
  }

  /** Appends are written as they happen (the kernel has them when `write` returns). */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  private state(task: string): TaskState {
    let s = this.tasks.get(task);
    if (!s) {
      s = emptyState();
      this.tasks.set(task, s);
    }
    if (!s.loaded) {
      s.loaded = true;
      const file = this.fileOf(task);
      try {
        const read = readJsonLines(file, isRunRecord);
        if (read.bad) {
          this.tornLines += read.bad;
          this.warn(`run history of "${task}": skipped ${read.bad} unreadable line(s) in ${file} (a write torn by a crash); the other runs are kept`);
          truncateTorn(file, read);
        }
        for (const r of read.items) if (r.task === task) apply(s, r);
      } catch (e) {
        this.warn(`could not read the run history of "${task}" (${errorMessage(e)}); starting it empty`);
      }
    }
    return s;
  }

  /** The file's records, newest line of each id, split into what is kept and what is not. */
  private readKept(task: string, keep: number | undefined): { kept: RunRecord[]; dropped: RunRecord[] } {
    return readRunFile(this.fileOf(task), task, keep);
  }

  private trimIfDue(task: string, s: TaskState): void {
    if (s.keep === undefined || s.finished <= s.keep * (this.opts.trimFactor ?? 2)) return;
    try {
      const { kept, dropped } = this.readKept(task, s.keep);
      this.bytesWritten += rewriteJsonLines(this.fileOf(task), kept);
      this.rewrites++;
      const keep = s.keep;
      const fresh = emptyState();
      fresh.loaded = true;
      fresh.keep = keep;
      for (const r of kept) apply(fresh, r);
      // What is in memory is newer than the file when an append failed: keep it.
      fresh.last = s.last;
      fresh.lastFinished = s.lastFinished;
      fresh.unfinished = s.unfinished;
      this.tasks.set(task, fresh);
      const runLog = this.opts.runLog;
      if (runLog) for (const r of dropped) fs.rm(runLog(task, r.id), { force: true }, () => undefined);
    } catch (e) {
      if (!s.trimFailed) this.warn(`could not trim the run history of "${task}": ${errorMessage(e)}; will try again after each run (said once)`);
      s.trimFailed = true;
    }
  }

  /** Each fault is said once per task (the callers keep the flags), so one task's never hides another's. */
  private warn(message: string): void {
    this.opts.onWarning?.(message);
  }
}

function emptyState(): TaskState {
  return {
    keep: undefined, last: undefined, lastFinished: undefined, unfinished: new Map(),
    retryFlags: new Uint8Array(16), finished: 0, windowRetries: 0, recentFinished: [], loaded: false, appendFailed: false, trimFailed: false,
  };
}

/** Fold one record (new, or a newer version of one) into the in-memory summary. */
function apply(s: TaskState, r: RunRecord): void {
  if (r.startedAt !== undefined && (!s.last || s.last.id === r.id || (s.last.startedAt ?? 0) <= r.startedAt)) s.last = r;
  if (!isFinished(r)) {
    s.unfinished.set(r.id, r);
    return;
  }
  s.unfinished.delete(r.id);
  const again = s.recentFinished.includes(r.id);
  // "Finished" for the summary: succeeded, failed, timed-out or killed; a skip is not a run.
  if (r.state !== 'skipped' && (!s.lastFinished || s.lastFinished.id === r.id || !again)) s.lastFinished = r;
  if (again) return;
  s.recentFinished.push(r.id);
  if (s.recentFinished.length > RECENT) s.recentFinished.shift();
  if (s.finished === s.retryFlags.length) {
    const grown = new Uint8Array(s.retryFlags.length * 2);
    grown.set(s.retryFlags);
    s.retryFlags = grown;
  }
  const flag = r.trigger === 'retry' ? 1 : 0;
  s.retryFlags[s.finished++] = flag;
  s.windowRetries += flag;
  if (s.keep !== undefined && s.finished > s.keep) s.windowRetries -= s.retryFlags[s.finished - 1 - s.keep]!;
}

function windowSum(s: TaskState): number {
  let n = 0;
  const from = s.keep === undefined ? 0 : Math.max(0, s.finished - s.keep);
  for (let i = from; i < s.finished; i++) n += s.retryFlags[i]!;
  return n;
}

function isFinished(r: RunRecord): boolean {
  return r.state !== 'running' && r.state !== 'queued';
}

export function isRunRecord(v: unknown): v is RunRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.id === 'string' && typeof r.task === 'string' && typeof r.state === 'string' && typeof r.scheduledAt === 'number';
}

/**
 * One task's run file folded: the newest line of each id, in first-seen order; `kept` holds
 * the runs under way and the newest `keep` finished runs (all when `keep` is undefined).
 * Unreadable (torn) lines are skipped. Pure reading: also used with the daemon down.
 */
export function readRunFile(file: string, task: string, keep?: number): { kept: RunRecord[]; dropped: RunRecord[] } {
  const read = readJsonLines(file, isRunRecord);
  const latest = new Map<string, RunRecord>();
  const finishOrder: string[] = [];
  const seenFinished = new Set<string>();
  for (const r of read.items) {
    if (r.task !== task) continue;
    latest.set(r.id, r);
    if (isFinished(r) && !seenFinished.has(r.id)) {
      seenFinished.add(r.id);
      finishOrder.push(r.id);
    }
  }
  const keepIds = new Set(keep === undefined ? finishOrder : finishOrder.slice(Math.max(0, finishOrder.length - keep)));
  const kept: RunRecord[] = [];
  const dropped: RunRecord[] = [];
  for (const r of latest.values()) (!isFinished(r) || keepIds.has(r.id) ? kept : dropped).push(r);
  return { kept, dropped };
}
