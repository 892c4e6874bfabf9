import fs from 'node:fs';
import path from 'node:path';
import { JobctlError, errorMessage } from '../shared/errors.js';
import { TASK_NAME_RE } from '../shared/names.js';
import type { RunRecord } from '../shared/types.js';
import { appendJsonLines, readJsonLines, removeStaleTemps, rewriteJsonLines, truncateTorn } from './jsonl.js';
import { writeNewFileAsync } from './new-file.js';
import { readLinesAsync, readLinesBetween, readTailLines } from './run-file-read.js';
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
  /**
   * A file up to this size is read whole and trimmed at once; a larger one is read from its
   * tail when first needed (its counts follow from a read in the background) and trimmed in
   * the background, so neither holds the event loop in proportion to a history. @default 64 KiB
   */
  syncBytes?: number;
  /** Background reads and trims wait for this (the daemon: until its socket answers and its tasks have started). @default none */
  backgroundAfter?: Promise<void>;
}

/** What the daemon keeps in memory for one task: the last runs and counts, never the history. */
interface TaskState {
  /** Finished runs to keep (from `retain`); undefined: all. */
  keep: number | undefined;
  last: RunRecord | undefined;
  lastFinished: RunRecord | undefined;
  unfinished: Map<string, RunRecord>;
  /** Finished runs in the file (all of them once `counted`). */
  finished: number;
  /** Retries among the newest `keep` finished runs. */
  retries: RetryCount;
  /** Ids of the last few finished runs, so a record written again is not counted twice. */
  recentFinished: string[];
  /** The file's records were replayed from disk (lazily, on first use). */
  loaded: boolean;
  /** The counts cover the whole file (a large file: once the background read is done). */
  counted: boolean;
  /** A background read (and trim) of the file is under way. */
  busy: boolean;
  /** The last append failed: the file may end in half a line. Said once, until one works. */
  appendFailed: boolean;
  /** The last trim failed: said once, until one works. */
  trimFailed: boolean;
}

/**
 * How many of the newest `cap` finished runs were retries (all finished runs when cap is
 * undefined). It holds the positions of the retries still in the window, not a flag per run:
 * nothing for a task that never retries, whatever its `history`.
 */
class RetryCount {
  /** Finished runs seen. */
  private seen = 0;
  /** Positions (in `seen`) of the retries among the newest `cap`, oldest first. */
  private readonly at: number[] = [];
  private all = 0;

  constructor(readonly cap: number | undefined) {}

  get sum(): number {
    return this.cap === undefined ? this.all : this.at.length;
  }

  push(retry: boolean): void {
    this.seen++;
    if (this.cap === undefined) {
      if (retry) this.all++;
      return;
    }
    if (retry && this.cap > 0) this.at.push(this.seen);
    while (this.at.length && this.at[0]! <= this.seen - this.cap) this.at.shift();
  }
}

const RECENT = 16;

/**
 * Run history in an append-only JSON-lines file per task (DESIGN.md "Runtime directory"):
 * a line is appended when a run is created and when it changes (ends); the newest line of
 * an id wins. A task's file is rewritten, alone, only when it holds more than twice
 * `keep` finished runs, so the cost of a run is a few hundred bytes of append plus an
 * amortised share of one small rewrite, whatever `history` is. In memory: the last run,
 * the last finished run, the runs under way and counts. `list` reads the file.
 * A large file (over `syncBytes`) is never read or rewritten whole on the event loop: at
 * first use only its tail is read (the last and last finished runs, the runs under way),
 * and the rest is read in the background, one file at a time, in slices; a trim is written
 * to a temp file in the background, and the lines appended meanwhile are copied after it
 * just before the rename, so a crash leaves either file whole and no record is lost.
 */
export class FileRunHistory implements RunHistory {
  private readonly tasks = new Map<string, TaskState>();
  private closed = false;
  /** Background reads and trims, one file at a time. */
  private background: Promise<void> = Promise.resolve();
  /** Bytes appended and rewritten, for tests and benchmarks. */
  bytesWritten = 0;
  /** Whole-file rewrites (trims) done. */
  rewrites = 0;
  /** Lines skipped because they could not be read (torn by a crash), since open. */
  tornLines = 0;

  constructor(private readonly opts: FileRunHistoryOptions) {
    fs.mkdirSync(opts.dir, { recursive: true });
    removeStaleTemps(opts.dir);
    if (opts.backgroundAfter) this.background = opts.backgroundAfter.catch(() => undefined);
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
    let retries = s.retries.sum;
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
    const known = this.tasks.get(task);
    if (!known || known.keep !== keep) {
      // Read (again) with a retry window of this size.
      this.tasks.set(task, { ...emptyState(keep), appendFailed: known?.appendFailed ?? false, trimFailed: known?.trimFailed ?? false });
    }
    this.trimIfDue(task, this.state(task));
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
      // In the background, so close() (the daemon's stop, then process.exit) waits for it.
      this.background = this.background.then(() =>
        fs.promises.rm(dir, { recursive: true, force: true }).catch((e: unknown) => {
          this.warn(`could not remove the run logs of the removed task "${task}": ${errorMessage(e)}`);
        }),
      );
    }
  }

  /** Appends are written as they happen (the kernel has them when `write` returns); background reads and trims are done. */
  async flush(): Promise<void> {
    for (let seen: Promise<void> | undefined; seen !== this.background; ) {
      seen = this.background;
      await seen;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private state(task: string): TaskState {
    let s = this.tasks.get(task);
    if (!s) {
      s = emptyState(undefined);
      this.tasks.set(task, s);
    }
    if (!s.loaded) {
      s.loaded = true;
      try {
        this.load(task, s);
      } catch (e) {
        s.counted = true;
        this.warn(`could not read the run history of "${task}" (${errorMessage(e)}); starting it empty`);
      }
    }
    return s;
  }

  /** Replay the file: whole when small; else its tail now and the rest in the background. */
  private load(task: string, s: TaskState): void {
    const file = this.fileOf(task);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      s.counted = true;
      return;
    }
    if (size <= this.syncBytes) {
      const read = readJsonLines(file, isRunRecord);
      this.torn(task, file, read.bad);
      if (read.bad) truncateTorn(file, read);
      for (const r of read.items) if (r.task === task) apply(s, r);
      s.counted = true;
      return;
    }
    const end = completeEnd(file, size);
    if (end < size) {
      this.torn(task, file, 1);
      fs.truncateSync(file, end);
    }
    const tail = readTailLines(file, end, isRunRecord, (items) => items.some((r) => r.task === task && isFinished(r) && r.state !== 'skipped'));
    this.torn(task, file, tail.bad);
    for (const r of tail.items) if (r.task === task) apply(s, r);
    this.inBackground(task, s);
  }

  private torn(task: string, file: string, bad: number): void {
    if (!bad) return;
    this.tornLines += bad;
    this.warn(`run history of "${task}": skipped ${bad} unreadable line(s) in ${file} (a write torn by a crash); the other runs are kept`);
  }

  private get syncBytes(): number {
    return this.opts.syncBytes ?? 64 * 1024;
  }

  /** The file's records, newest line of each id, split into what is kept and what is not. */
  private readKept(task: string, keep: number | undefined): { kept: RunRecord[]; dropped: RunRecord[] } {
    return readRunFile(this.fileOf(task), task, keep);
  }

  private trimIfDue(task: string, s: TaskState): void {
    if (s.keep === undefined || s.finished <= s.keep * this.trimFactor) return;
    if (!s.counted || s.busy) {
      // A background read or trim will see it; a trim that lags far behind (the loop never
      // let it finish) is done here after all, so a file never grows without bound.
      if (s.finished <= s.keep * (this.trimFactor + 1)) return;
    } else if (this.fileSize(task) > this.syncBytes) {
      this.inBackground(task, s);
      return;
    }
    try {
      const { kept, dropped } = this.readKept(task, s.keep);
      this.bytesWritten += rewriteJsonLines(this.fileOf(task), kept);
      this.rewrites++;
      // (The file is whole lines again: no append needs a line of its own.)
      this.replace(task, s, kept, []).appendFailed = false;
      this.dropLogs(task, dropped);
    } catch (e) {
      this.trimFailed(task, s, e);
    }
  }

  private get trimFactor(): number {
    return this.opts.trimFactor ?? 2;
  }

  private fileSize(task: string): number {
    try {
      return fs.statSync(this.fileOf(task)).size;
    } catch {
      return 0;
    }
  }

  /**
   * Read the whole file in the background (one file at a time, in slices); then count it
   * again and, when it holds more than trimFactor × keep finished runs, rewrite it: the kept
   * records go to a temp file, the lines appended meanwhile follow them, and the temp file
   * replaces the old one. Nothing is done when the task's state was replaced meanwhile.
   */
  private inBackground(task: string, s: TaskState): void {
    if (s.busy || this.closed) return;
    s.busy = true;
    this.background = this.background.then(async () => {
      try {
        if (this.tasks.get(task) === s && !this.closed) await this.recount(task, s);
      } catch (e) {
        // A task forgotten (removed) meanwhile took its file with it: nothing failed.
        if (this.tasks.get(task) === s) this.trimFailed(task, s, e);
      } finally {
        s.busy = false;
      }
    });
  }

  private async recount(task: string, s: TaskState): Promise<void> {
    const file = this.fileOf(task);
    const end = completeEnd(file, this.fileSize(task));
    const read = await readLinesAsync(file, end, isRunRecord);
    if (this.tasks.get(task) !== s || this.closed) return;
    const mine = read.items.filter((r) => r.task === task);
    const folded = emptyState(s.keep);
    for (const r of mine) apply(folded, r);
    // Each step below is a turn of its own: the loop serves others in between.
    await turn();
    if (this.tasks.get(task) !== s || this.closed) return;
    const due = s.keep !== undefined && folded.finished > s.keep * this.trimFactor;
    if (!due) {
      // Only counted: the lines appended since are in memory already.
      const since = readLinesBetween(file, end, this.fileSize(task), isRunRecord).items.filter((r) => r.task === task);
      this.replace(task, s, mine, since, true);
      return;
    }
    const { kept, dropped } = foldKept(mine, s.keep);
    await turn();
    const text = kept.length ? kept.map((r) => JSON.stringify(r)).join('\n') + '\n' : '';
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.bg.${process.pid}.tmp`);
    try {
      await writeNewFileAsync(tmp, text);
      if (this.tasks.get(task) !== s || this.closed) {
        fs.rmSync(tmp, { force: true });
        return;
      }
      // From here to the rename nothing else runs: the lines appended since the read follow the kept ones.
      const now = this.fileSize(task);
      const appended = readRawBetween(file, end, now);
      if (appended.length) fs.appendFileSync(tmp, appended);
      fs.renameSync(tmp, file);
      this.bytesWritten += Buffer.byteLength(text) + appended.length;
      this.rewrites++;
      const since = readLinesBetween(file, Buffer.byteLength(text), Buffer.byteLength(text) + appended.length, isRunRecord).items.filter((r) => r.task === task);
      this.replace(task, s, kept, since);
      this.dropLogs(task, dropped);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
  }

  /**
   * A new in-memory state from the file's records (`records`, then `since`, appended after
   * them). What is in memory is newer than the file when an append failed: the last runs and
   * the runs under way are kept from the old state; `merge` keeps the file's runs under way too
   * (a tail read may not have reached an old one).
   */
  private replace(task: string, s: TaskState, records: readonly RunRecord[], since: readonly RunRecord[], merge = false): TaskState {
    const fresh = emptyState(s.keep);
    fresh.loaded = true;
    fresh.counted = true;
    for (const r of records) apply(fresh, r);
    for (const r of since) apply(fresh, r);
    const unfinished = new Map(s.unfinished);
    if (merge) for (const [id, r] of fresh.unfinished) if (!unfinished.has(id) && !s.recentFinished.includes(id)) unfinished.set(id, r);
    fresh.last = s.last ?? fresh.last;
    fresh.lastFinished = s.lastFinished ?? fresh.lastFinished;
    fresh.unfinished = unfinished;
    fresh.appendFailed = s.appendFailed;
    this.tasks.set(task, fresh);
    return fresh;
  }

  /** Delete the logs of dropped runs in the background, a few at a time (thousands at once would flood the loop with callbacks). */
  private dropLogs(task: string, dropped: readonly RunRecord[]): void {
    const runLog = this.opts.runLog;
    if (!runLog || dropped.length === 0) return;
    const files = dropped.map((r) => runLog(task, r.id));
    this.background = this.background.then(async () => {
      for (let i = 0; i < files.length; i += 16) {
        await Promise.all(files.slice(i, i + 16).map((f) => fs.promises.rm(f, { force: true }).catch(() => undefined)));
      }
    });
  }

  private trimFailed(task: string, s: TaskState, e: unknown): void {
    if (!s.trimFailed) this.warn(`could not trim the run history of "${task}": ${errorMessage(e)}; will try again after each run (said once)`);
    s.trimFailed = true;
  }

  /** Each fault is said once per task (the callers keep the flags), so one task's never hides another's. */
  private warn(message: string): void {
    this.opts.onWarning?.(message);
  }
}

function emptyState(keep: number | undefined): TaskState {
  return {
    keep, last: undefined, lastFinished: undefined, unfinished: new Map(), finished: 0, retries: new RetryCount(keep),
    recentFinished: [], loaded: false, counted: false, busy: false, appendFailed: false, trimFailed: false,
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
  s.finished++;
  s.retries.push(r.trigger === 'retry');
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Bytes up to the end of the file's last complete line. */
function completeEnd(file: string, size: number): number {
  if (size === 0) return 0;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size, 4096));
    for (let end = size; end > 0; end -= buf.length) {
      const len = Math.min(buf.length, end);
      fs.readSync(fd, buf, 0, len, end - len);
      const nl = buf.subarray(0, len).lastIndexOf(0x0a);
      if (nl >= 0) return end - len + nl + 1;
    }
    return 0;
  } finally {
    fs.closeSync(fd);
  }
}

function readRawBetween(file: string, from: number, to: number): Buffer {
  if (to <= from) return Buffer.alloc(0);
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    const n = fs.readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
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
  return foldKept(readJsonLines(file, isRunRecord).items.filter((r) => r.task === task), keep);
}

/** Records of one task in file order, folded: the newest line of each id; kept and dropped as readRunFile says. */
function foldKept(records: readonly RunRecord[], keep: number | undefined): { kept: RunRecord[]; dropped: RunRecord[] } {
  const latest = new Map<string, RunRecord>();
  const finishOrder: string[] = [];
  const seenFinished = new Set<string>();
  for (const r of records) {
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
