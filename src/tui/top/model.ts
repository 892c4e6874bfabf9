import type { StatusResult, TaskStatus } from '../../shared/protocol.js';
import { HEADERS, cells, columnLayout } from '../columns.js';
import { fit } from '../format.js';
import { taskEvents } from './task-events.js';

/** Samples kept per task: one a second for a minute. */
export const WINDOW = 60;

export interface Series {
  title: string;
  x: string[];
  y: number[];
  style: { line: string };
}

const COLORS = ['green', 'cyan', 'yellow', 'magenta', 'blue', 'red'];

/**
 * What `jobctl top` shows, computed from successive status results: a minute of CPU and
 * memory per task, recent run durations, and the task table. Pure, so it is tested
 * without a terminal.
 */
export class TopModel {
  private readonly cpu = new Map<string, number[]>();
  private readonly mem = new Map<string, number[]>();
  tasks: TaskStatus[] = [];
  selected: string | undefined;
  private updates = 0;

  /**
   * Take a new status result; returns the task events since the previous one (exits,
   * restarts, fatal, run results, tasks added or removed) for the event pane.
   */
  update(s: StatusResult): string[] {
    const before = new Map(this.tasks.map((t) => [t.name, t]));
    const first = this.tasks.length === 0 && this.updates === 0;
    this.updates++;
    // The table keeps a stable order (by name), so rows do not jump under the selection.
    this.tasks = [...s.tasks].sort((a, b) => a.name.localeCompare(b.name));
    const events: string[] = [];
    if (!first) {
      for (const t of this.tasks) events.push(...(before.has(t.name) ? taskEvents(before.get(t.name), t) : [`${t.name} added`]));
      const names = new Set(this.tasks.map((t) => t.name));
      for (const n of before.keys()) if (!names.has(n)) events.push(`${n} removed`);
    }
    const names = new Set(this.tasks.map((t) => t.name));
    for (const m of [this.cpu, this.mem]) for (const k of [...m.keys()]) if (!names.has(k)) m.delete(k);
    for (const t of this.tasks) {
      push(this.cpu, t.name, t.cpu ?? 0);
      push(this.mem, t.name, (t.rss ?? 0) / (1024 * 1024));
    }
    return events;
  }

  /** Forget the previous snapshot (after a reconnect: no events for what changed meanwhile). */
  reset(): void {
    this.tasks = [];
    this.updates = 0;
  }

  /** The selected task, or the top tasks by CPU (at most 4). */
  private chartTasks(): string[] {
    if (this.selected && this.cpu.has(this.selected)) return [this.selected];
    return this.tasks.filter((t) => t.kind === 'service').sort((a, b) => (b.cpu ?? 0) - (a.cpu ?? 0) || a.name.localeCompare(b.name)).slice(0, 4).map((t) => t.name);
  }

  /**
   * The task whose log the log pane follows: the selected one, else the busiest, else the first.
   * A selected task that went (removed from the files, or renamed) is not followed: the pane goes
   * where the charts go, and back to it if it comes back.
   */
  logTask(): string | undefined {
    return this.chartTasks()[0] ?? this.tasks[0]?.name;
  }

  private series(m: Map<string, number[]>): Series[] {
    const x = Array.from({ length: WINDOW }, (_, i) => (i % 15 === 0 ? `-${WINDOW - i}s` : ' '));
    const series = this.chartTasks().map((name, i) => {
      const ys = m.get(name) ?? [];
      const y = [...Array(WINDOW - ys.length).fill(0), ...ys].map((v) => Math.round(v * 10) / 10);
      return { title: name, x, y, style: { line: COLORS[i % COLORS.length]! } };
    });
    // blessed-contrib's line chart reads series[0]: with no service task, one flat empty line.
    return series.length ? series : [{ title: '', x, y: Array(WINDOW).fill(0), style: { line: COLORS[0]! } }];
  }

  cpuSeries(): Series[] {
    return this.series(this.cpu);
  }

  memSeries(): Series[] {
    return this.series(this.mem);
  }

  /** Durations (ms) of the last run of each cron task, longest first, at most 8. */
  runBars(): { titles: string[]; data: number[] } {
    const runs = this.tasks
      .filter((t) => t.lastRun?.startedAt !== undefined && t.lastRun.endedAt !== undefined)
      .map((t) => ({ name: t.name, ms: t.lastRun!.endedAt! - t.lastRun!.startedAt! }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 8);
    return { titles: runs.map((r) => r.name.slice(0, 8)), data: runs.map((r) => r.ms) };
  }

  /**
   * The task table, the TUI's columns (LAST and HEALTH included), every cell cut or padded to its column
   * (with …) for a table `width` columns wide inside its border: blessed-contrib's table pads a
   * cell but lets a longer one run into the next column (`running he2/2`, issue 29).
   */
  table(width: number, now = Date.now()): { headers: string[]; headerLine: string; data: string[][]; widths: number[] } {
    // A contrib table column takes its width plus one space (columnSpacing 2, less one).
    const { keys, widths: w } = columnLayout(this.tasks, width + 1, now);
    return {
      headers: keys.map((k) => fit(HEADERS[k], w[k])),
      // The table's rows sit one column right of its header line: the line to draw over it.
      headerLine: ` ${keys.map((k) => fit(HEADERS[k], w[k])).join(' ')}`,
      data: this.tasks.map((t) => {
        const c = cells(t, now);
        return keys.map((k) => fit(c[k], w[k]));
      }),
      widths: keys.map((k) => w[k]),
    };
  }
}

function push(m: Map<string, number[]>, name: string, v: number): void {
  const arr = m.get(name) ?? [];
  arr.push(v);
  if (arr.length > WINDOW) arr.shift();
  m.set(name, arr);
}

/**
 * A chart's label with its legend, each task in its line's color (blessed tags): the legend
 * goes in the border, so no box covers the newest end of the chart (issue 30).
 */
export function legendLabel(title: string, series: readonly Series[]): string {
  const named = series.filter((s) => s.title);
  return ` ${title}${named.length ? ` ${named.map((s) => `{${s.style.line}-fg}${s.title}{/${s.style.line}-fg}`).join(' ')}` : ''} `;
}
