import fs from 'node:fs';
import path from 'node:path';
import { AuditTrail } from '../runtime/audit-trail.js';
import { mergeByTime, tagInstance, tailRotated } from '../runtime/log-read.js';
import { readRunFile } from '../runtime/run-history-file.js';
import { TASK_NAME_RE } from '../shared/names.js';
import { JobctlError } from '../shared/errors.js';
import type { HomePaths } from '../shared/paths.js';
import type { AuditEntry, LogsResult } from '../shared/protocol.js';
import type { RunRecord } from '../shared/types.js';

/**
 * Reading a home's state/ while no daemon runs (`jobctl logs` and `history` say so in one
 * line). The same readers as the daemon's: logs through runtime/log-read, run records from
 * the task's append-only file in state/runs/ through runtime/run-history-file.
 * Read-only: nothing here writes, locks or repairs a file.
 */

/** Run records of a task as the daemon wrote them (state/runs/<task>.jsonl), oldest first. */
function storedRuns(paths: HomePaths, task: string): RunRecord[] {
  if (!TASK_NAME_RE.test(task)) return [];
  try {
    return readRunFile(path.join(paths.runs, `${task}.jsonl`), task).kept;
  } catch {
    return [];
  }
}

/** Tasks that have logs under state/logs/. */
export function loggedTasks(paths: HomePaths): string[] {
  try {
    return fs.readdirSync(paths.logs, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** A cron task's runs, newest `limit`, oldest first. */
export function offlineHistory(paths: HomePaths, task: string, limit: number): RunRecord[] {
  return storedRuns(paths, task).slice(-limit);
}

/** Instance indexes with a log file: `0.log`, `1.log` (rotated `.1` files follow their log). */
function instanceIndexes(dir: string): number[] {
  try {
    return fs.readdirSync(dir).map((f) => /^(\d+)\.log$/.exec(f)?.[1]).filter((x): x is string => x !== undefined).map(Number).sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** The newest run of a task that has a log: from the records, else the newest run log file. */
function lastRunId(paths: HomePaths, task: string): string | undefined {
  const fromRecords = [...storedRuns(paths, task)].reverse().find((r) => r.startedAt !== undefined)?.id;
  if (fromRecords) return fromRecords;
  try {
    const dir = paths.runLogDir(task);
    return fs.readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => ({ id: f.slice(0, -4), t: fs.statSync(path.join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t)[0]?.id;
  } catch {
    return undefined;
  }
}

/**
 * What `logs` shows, from the files: a service task's instance logs merged by time (each
 * line tagged with its instance when there are several), or a cron run's log (`run`: an
 * id or a prefix of one, or `last`).
 */
export function offlineLogs(paths: HomePaths, task: string, q: { lines: number; instance?: number; run?: string }): LogsResult {
  const dir = path.join(paths.logs, task);
  const instances = instanceIndexes(dir);
  const isCron = fs.existsSync(paths.runLogDir(task)) || (instances.length === 0 && storedRuns(paths, task).length > 0);
  if (isCron) {
    if (q.instance !== undefined) throw new JobctlError('WRONG_KIND', `task "${task}" is a cron task; --instance is for service tasks`);
    const id = q.run === undefined || q.run === 'last' ? lastRunId(paths, task) : storedRuns(paths, task).find((r) => r.id === q.run || r.id.startsWith(q.run!))?.id ?? (fs.existsSync(paths.runLog(task, q.run)) ? q.run : undefined);
    if (id === undefined) {
      if (q.run !== undefined && q.run !== 'last') throw new JobctlError('NOT_FOUND', `task "${task}" has no run "${q.run}"; \`jobctl history ${task}\` lists them`);
      return { lines: [], files: [] };
    }
    return tailRotated(paths.runLog(task, id), q.lines);
  }
  if (q.run !== undefined) throw new JobctlError('WRONG_KIND', `task "${task}" is a service task; --run is for cron tasks`);
  const indexes = q.instance !== undefined ? [q.instance] : instances;
  const parts = indexes.map((i) => {
    const part = tailRotated(paths.instanceLog(task, i), q.lines);
    return indexes.length > 1 ? { ...part, lines: part.lines.map((l) => tagInstance(l, i)) } : part;
  });
  return { lines: mergeByTime(parts.map((p) => p.lines)).slice(-q.lines), files: parts.flatMap((p) => p.files) };
}

/** The last `limit` entries of state/audit.jsonl, oldest first (`jobctl audit` while no daemon runs). */
export function offlineAudit(paths: HomePaths, limit: number): AuditEntry[] {
  return new AuditTrail(paths.audit).tail(limit);
}
