import { taskHealthText } from '../shared/format.js';
import type { TaskStatus } from '../shared/protocol.js';
import { cpuText, lastRunCell, memText, procsText, upOrNextText } from '../view/task-cells.js';

export const COLUMN_KEYS = ['name', 'state', 'health', 'procs', 'time', 'last', 'rst', 'cpu', 'mem'] as const;
export type ColumnKey = (typeof COLUMN_KEYS)[number];
export type ColumnWidths = Record<ColumnKey, number>;

export const HEADERS: Record<ColumnKey, string> = { name: 'TASK', state: 'STATE', health: 'HEALTH', procs: 'PROCS', time: 'UP/NEXT', last: 'LAST', rst: 'RST', cpu: 'CPU', mem: 'MEM' };
/** Below these a column is cut (with …); above them it takes what its content needs. */
const MIN: ColumnWidths = { name: 8, state: 9, health: 7, procs: 5, time: 7, last: 8, rst: 3, cpu: 4, mem: 6 };
/** The order columns give up space in when the terminal is narrow: TASK first. LAST is never cut while a column can go. */
const SHRINK: ColumnKey[] = ['name', 'time', 'procs', 'mem', 'health', 'state', 'cpu', 'rst'];
/** Then, on a small terminal (60 columns), whole columns go, in this order (`status` has them all). */
const DROP: ColumnKey[] = ['rst', 'cpu', 'procs', 'mem', 'health', 'time'];

export function cells(t: TaskStatus, now: number): Record<ColumnKey, string> {
  return {
    name: t.name, state: t.state, health: taskHealthText(t.instances) ?? '-', procs: procsText(t), time: upOrNextText(t, now),
    last: lastRunCell(t.lastRun, now), rst: String(t.restarts), cpu: cpuText(t), mem: memText(t),
  };
}

export interface ColumnLayout {
  /** The columns shown, in order. */
  keys: ColumnKey[];
  widths: ColumnWidths;
}

/**
 * The columns that fit `width` (the row's text, after the 2-column marker, one space between
 * columns) and their widths. Each column gets what its widest cell needs, and no more: spare
 * room stays at the end of the row (issue 30: TASK took 70 columns at 120). HEALTH shows when
 * a task has a health check, as in `status`. When the row does not fit, columns give up space
 * down to their minimum (TASK first), then whole columns go (RST, CPU, …), so LAST keeps its
 * "ago" at 60 columns; only then is LAST cut.
 */
export function columnLayout(tasks: TaskStatus[], width: number, now: number, cellsOf: (t: TaskStatus, now: number) => Record<ColumnKey, string> = cells): ColumnLayout {
  const keys: ColumnKey[] = COLUMN_KEYS.filter((k) => k !== 'health' || tasks.some((t) => taskHealthText(t.instances) !== undefined));
  const w = { ...MIN };
  for (const k of keys) w[k] = Math.max(w[k], HEADERS[k].length);
  for (const t of tasks) {
    const c = cellsOf(t, now);
    for (const k of keys) w[k] = Math.max(w[k], c[k].length);
  }
  const room = Math.max(0, width - 2);
  const total = (size: (k: ColumnKey) => number) => keys.reduce((s, k) => s + size(k), 0) + (keys.length - 1);
  // Columns go first when even their minimums (LAST whole) do not fit; the others then share the room.
  for (const k of DROP) {
    if (total((c) => (c === 'last' ? w.last : MIN[c])) <= room) break;
    if (keys.includes(k)) keys.splice(keys.indexOf(k), 1);
  }
  for (const k of [...SHRINK, 'last' as const]) {
    const over = total((c) => w[c]) - room;
    if (over <= 0) break;
    if (keys.includes(k)) w[k] -= Math.min(over, w[k] - MIN[k]);
  }
  return { keys, widths: w };
}
