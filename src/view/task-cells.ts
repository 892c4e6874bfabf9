import { formatBytes, formatDuration } from '../shared/format.js';
import type { TaskStatus } from '../shared/protocol.js';
import type { RunRecord } from '../shared/types.js';

/**
 * The cells of a task row, the same in the CLI table, the Ink TUI and `top` (and the
 * fleet views, which add a HOST). Each surface lays them out its own way (widths, colour).
 * Pure: `now` is given.
 */

/** How long since `since`: `3m4s` (the one uptime formatter: tasks, instances, the daemon). */
export function uptimeText(since: number, now: number): string {
  return formatDuration(Math.max(0, now - since));
}

/** `3m4s ago`, or `-` when it never happened. */
export function agoText(at: number | undefined, now: number): string {
  return at === undefined ? '-' : `${uptimeText(at, now)} ago`;
}

/** `in 5m`: how long until `at`. */
export function inText(at: number, now: number): string {
  return `in ${formatDuration(Math.max(0, at - now))}`;
}

/** UP/NEXT: a service's uptime (its oldest running instance), a cron task's next run. */
export function upOrNextText(t: TaskStatus, now: number): string {
  if (t.kind === 'cron') return t.nextRunAt !== undefined ? inText(t.nextRunAt, now) : '-';
  const started = (t.instances ?? []).filter((i) => i.state === 'running' && i.startedAt !== undefined).map((i) => i.startedAt!);
  return started.length ? uptimeText(Math.min(...started), now) : '-';
}

/** PROCS: `2/3` running of a service's instances, `1 run` / `2 runs` live of a cron task. */
export function procsText(t: TaskStatus): string {
  if (t.kind === 'cron') return t.activeRuns?.length ? `${t.activeRuns.length} run${t.activeRuns.length > 1 ? 's' : ''}` : '-';
  return `${t.running ?? 0}/${t.instances?.length ?? 0}`;
}

/** PROCS with the scale in the wide table: `2/2 (1-4, target 3, backlog 12)`. */
export function procsWithScaleText(t: TaskStatus): string {
  const s = procsText(t);
  if (t.kind === 'cron' || !t.scale) return s;
  const sc = t.scale;
  const target = sc.target !== sc.current ? `, target ${sc.target}` : '';
  return `${s} (${sc.mode === 'manual' ? 'manual' : `${sc.min}-${sc.max}`}${target}${sc.backlog !== undefined ? `, backlog ${sc.backlog}` : ''})`;
}

/**
 * LAST, short (TUI, top): the last run's outcome and how long ago it ended (or started, while
 * it runs): `ok 4s ago`, `failed 2m ago`. "ago" says it is a time since, not the run's duration.
 */
export function lastRunCell(r: RunRecord | undefined, now: number): string {
  if (!r) return '-';
  const when = r.endedAt ?? r.startedAt;
  return `${r.state === 'succeeded' ? 'ok' : r.state}${when !== undefined ? ` ${uptimeText(when, now)} ago` : ''}`;
}

/** LAST RUN, long (CLI): `succeeded 6s ago`, `failed (exit 1) 2m ago`. */
export function lastRunText(r: RunRecord | undefined, now: number): string {
  if (!r) return '-';
  const exit = r.state === 'failed' && r.exitCode !== undefined && r.exitCode !== null ? ` (exit ${r.exitCode})` : r.signal && r.state !== 'succeeded' ? ` (${r.signal})` : '';
  return `${r.state}${exit} ${agoText(r.endedAt ?? r.startedAt, now)}`;
}

export function cpuText(t: TaskStatus): string {
  return t.cpu !== undefined ? `${t.cpu}%` : '-';
}

export function memText(t: TaskStatus): string {
  return t.rss !== undefined ? formatBytes(t.rss) : '-';
}
