import { CLOCK_TICKS, HAS_PROC, listProcesses } from './proc.js';

export interface GroupSample {
  /** Percent of one core since the previous sample. */
  cpu?: number;
  rss: number;
  /** CPU time of the group's live processes, seconds. */
  cpuSeconds: number;
}

interface Entry {
  pgid: () => number | undefined;
  onSample: (s: GroupSample) => void;
  last?: { pgid: number; ticks: number; at: number };
}

/**
 * CPU and RSS per process group, for every registered instance, from one read of /proc
 * per interval (not one per process), so 100 instances cost one scan.
 */
export class MetricsSampler {
  private readonly entries = new Map<number, Entry>();
  private nextId = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 2000) {}

  /** Returns an unregister function. */
  register(pgid: () => number | undefined, onSample: (s: GroupSample) => void): () => void {
    const id = this.nextId++;
    this.entries.set(id, { pgid, onSample });
    return () => this.entries.delete(id);
  }

  start(): void {
    if (this.timer || !HAS_PROC) return;
    this.timer = setInterval(() => this.sampleNow(), this.intervalMs);
    this.timer.unref();
  }

  sampleNow(now = Date.now()): void {
    const live = [...this.entries.values()].filter((e) => e.pgid() !== undefined);
    if (live.length === 0) return;
    const byGroup = new Map<number, { rss: number; ticks: number }>();
    for (const p of listProcesses()) {
      if (p.state === 'Z') continue;
      const g = byGroup.get(p.pgrp);
      if (g) {
        g.rss += p.rss;
        g.ticks += p.cpuTicks;
      } else byGroup.set(p.pgrp, { rss: p.rss, ticks: p.cpuTicks });
    }
    for (const e of live) {
      const pgid = e.pgid()!;
      const g = byGroup.get(pgid);
      if (!g) continue;
      let cpu: number | undefined;
      if (e.last && e.last.pgid === pgid && now > e.last.at) {
        cpu = Math.max(0, ((g.ticks - e.last.ticks) / CLOCK_TICKS / ((now - e.last.at) / 1000)) * 100);
      }
      e.last = { pgid, ticks: g.ticks, at: now };
      e.onSample({ rss: g.rss, cpuSeconds: Math.round((g.ticks / CLOCK_TICKS) * 100) / 100, ...(cpu !== undefined ? { cpu: Math.round(cpu * 10) / 10 } : {}) });
    }
  }

  /** Safe to call twice. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
