import { formatBytes, formatDuration } from '../shared/format.js';
import type { TaskStatus } from '../shared/protocol.js';
import type { RunRecord } from '../shared/types.js';

/** Ink colors per state. */
export const STATE_COLOR: Record<string, string> = {
  running: 'green', scheduled: 'blue', 'on-demand': 'blue', starting: 'cyan', stopping: 'cyan', backoff: 'yellow', fatal: 'red',
  exited: 'gray', stopped: 'gray', disabled: 'gray', succeeded: 'green', failed: 'red', 'timed-out': 'red',
  killed: 'yellow', skipped: 'gray', queued: 'cyan', waiting: 'yellow', healthy: 'green', unhealthy: 'red',
};

export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return text.padEnd(width);
}

export function procsCell(t: TaskStatus): string {
  if (t.kind === 'cron') return t.activeRuns?.length ? `${t.activeRuns.length} run` : '-';
  return `${t.running ?? 0}/${t.instances?.length ?? 0}`;
}

export function timeCell(t: TaskStatus, now: number): string {
  if (t.kind === 'cron') return t.nextRunAt !== undefined ? `in ${formatDuration(Math.max(0, t.nextRunAt - now))}` : '-';
  const started = (t.instances ?? []).filter((i) => i.state === 'running' && i.startedAt !== undefined).map((i) => i.startedAt!);
  return started.length ? formatDuration(now - Math.min(...started)) : '-';
}

/**
 * The LAST cell: the last run's outcome and how long ago it ended (or started, while it runs):
 * `ok 4s ago`, `failed 2m ago`. "ago" says it is a time since, not the run's duration (issue 29).
 */
export function runCell(r: RunRecord | undefined, now: number): string {
  if (!r) return '-';
  const when = r.endedAt ?? r.startedAt;
  return `${r.state === 'succeeded' ? 'ok' : r.state}${when !== undefined ? ` ${formatDuration(Math.max(0, now - when))} ago` : ''}`;
}

export function cpuCell(t: TaskStatus): string {
  return t.cpu !== undefined ? `${t.cpu}%` : '-';
}

export function memCell(t: TaskStatus): string {
  return t.rss !== undefined ? formatBytes(t.rss) : '-';
}
