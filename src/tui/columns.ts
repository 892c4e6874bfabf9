import type { TaskStatus } from '../shared/protocol.js';
import { cpuCell, memCell, procsCell, runCell, timeCell } from './format.js';

export const COLUMN_KEYS = ['name', 'state', 'procs', 'time', 'last', 'rst', 'cpu', 'mem'] as const;
export type ColumnKey = (typeof COLUMN_KEYS)[number];
export type ColumnWidths = Record<ColumnKey, number>;

export const HEADERS: Record<ColumnKey, string> = { name: 'TASK', state: 'STATE', procs: 'PROCS', time: 'UP/NEXT', last: 'LAST', rst: 'RST', cpu: 'CPU', mem: 'MEM' };
/** Below these a column is cut (with …); above them it takes what its content needs. */
const MIN: ColumnWidths = { name: 8, state: 9, procs: 5, time: 7, last: 8, rst: 3, cpu: 4, mem: 6 };
/** The order columns give up space in when the terminal is narrow: TASK first, then LAST. */
const SHRINK: ColumnKey[] = ['name', 'last', 'time', 'procs', 'mem', 'state', 'cpu', 'rst'];

export function cells(t: TaskStatus, now: number): Record<ColumnKey, string> {
  return { name: t.name, state: t.state, procs: procsCell(t), time: timeCell(t, now), last: runCell(t.lastRun, now), rst: String(t.restarts), cpu: cpuCell(t), mem: memCell(t) };
}

/**
 * Column widths that share `width` (the row's text, after the 2-column marker, one space
 * between columns). Each column gets what its widest cell needs; when that does not fit,
 * TASK gives up space first, then LAST and the others, each down to its minimum. Space
 * left over goes to TASK, so a wide terminal never cuts LAST while TASK has room to spare.
 */
export function columnWidths(tasks: TaskStatus[], width: number, now: number, cellsOf: (t: TaskStatus, now: number) => Record<ColumnKey, string> = cells): ColumnWidths {
  const want = { ...MIN };
  for (const k of COLUMN_KEYS) want[k] = Math.max(want[k], HEADERS[k].length);
  for (const t of tasks) {
    const c = cellsOf(t, now);
    for (const k of COLUMN_KEYS) want[k] = Math.max(want[k], c[k].length);
  }
  const available = Math.max(0, width - 2 - (COLUMN_KEYS.length - 1));
  const w = { ...want };
  let over = COLUMN_KEYS.reduce((s, k) => s + w[k], 0) - available;
  for (const k of SHRINK) {
    if (over <= 0) break;
    const give = Math.min(over, w[k] - MIN[k]);
    w[k] -= give;
    over -= give;
  }
  if (over < 0) w.name += -over;
  return w;
}
