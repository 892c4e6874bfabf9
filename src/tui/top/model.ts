import { formatBytes, formatDuration, taskHealthText } from '../../shared/format.js';
import type { StatusResult, TaskStatus } from '../../shared/protocol.js';

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

  update(s: StatusResult): void {
    this.tasks = [...s.tasks].sort((a, b) => (b.cpu ?? 0) - (a.cpu ?? 0) || a.name.localeCompare(b.name));
    const names = new Set(this.tasks.map((t) => t.name));
    for (const m of [this.cpu, this.mem]) for (const k of [...m.keys()]) if (!names.has(k)) m.delete(k);
    for (const t of this.tasks) {
      push(this.cpu, t.name, t.cpu ?? 0);
      push(this.mem, t.name, (t.rss ?? 0) / (1024 * 1024));
    }
  }

  /** The selected task, or the top tasks by CPU (at most 4). */
  private chartTasks(): string[] {
    if (this.selected && this.cpu.has(this.selected)) return [this.selected];
    return this.tasks.filter((t) => t.kind === 'daemon').slice(0, 4).map((t) => t.name);
  }

  private series(m: Map<string, number[]>): Series[] {
    const x = Array.from({ length: WINDOW }, (_, i) => (i % 15 === 0 ? `-${WINDOW - i}s` : ' '));
    return this.chartTasks().map((name, i) => {
      const ys = m.get(name) ?? [];
      const y = [...Array(WINDOW - ys.length).fill(0), ...ys].map((v) => Math.round(v * 10) / 10);
      return { title: name, x, y, style: { line: COLORS[i % COLORS.length]! } };
    });
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

  tableRows(now = Date.now()): string[][] {
    return this.tasks.map((t) => [
      t.name,
      // A checked task shows its health with its state: `running healthy`, `running 1/2 healthy`.
      taskHealthText(t.instances) ? `${t.state} ${taskHealthText(t.instances)}` : t.state,
      t.kind === 'daemon' ? `${t.running ?? 0}/${t.instances?.length ?? 0}` : t.nextRunAt !== undefined ? `in ${formatDuration(Math.max(0, t.nextRunAt - now))}` : '-',
      t.cpu !== undefined ? `${t.cpu}%` : '-',
      t.rss !== undefined ? formatBytes(t.rss) : '-',
      String(t.restarts),
    ]);
  }
}

function push(m: Map<string, number[]>, name: string, v: number): void {
  const arr = m.get(name) ?? [];
  arr.push(v);
  if (arr.length > WINDOW) arr.shift();
  m.set(name, arr);
}
