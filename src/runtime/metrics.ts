import { cgroupBoxOf } from './containment.js';
import { CLOCK_TICKS, HAS_PROC, listProcesses, type ProcStat } from './proc.js';

export interface GroupSample {
  /** Percent of one core since the previous sample. */
  cpu?: number;
  rss: number;
}

interface Entry {
  pgid: () => number | undefined;
  onSample: (s: GroupSample) => void;
  /** CPU so far in microseconds (cgroup cpu.stat, or /proc ticks converted). */
  last?: { pgid: number; cpuUsec: number; at: number };
}

/**
 * CPU and memory per instance. An instance in a cgroup reads its cgroup (memory.current or
 * the v1 memory.usage_in_bytes, cpu.stat usage_usec): exact, two small reads, and counting
 * processes that left the process group. The others are summed per process group from one
 * read of /proc per interval (not one per process), so 100 instances cost one scan.
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
    let byGroup: Map<number, { rss: number; cpuUsec: number }> | undefined;
    for (const e of live) {
      const pgid = e.pgid()!;
      const usage = cgroupBoxOf(pgid)?.usage();
      let g: { rss: number; cpuUsec: number } | undefined;
      if (usage?.memory !== undefined && usage.cpuUsec !== undefined) g = { rss: usage.memory, cpuUsec: usage.cpuUsec };
      else g = (byGroup ??= sumByGroup(listProcesses())).get(pgid);
      if (!g) continue;
      let cpu: number | undefined;
      if (e.last && e.last.pgid === pgid && now > e.last.at) {
        cpu = Math.max(0, ((g.cpuUsec - e.last.cpuUsec) / 1e6 / ((now - e.last.at) / 1000)) * 100);
      }
      e.last = { pgid, cpuUsec: g.cpuUsec, at: now };
      e.onSample({ rss: g.rss, ...(cpu !== undefined ? { cpu: Math.round(cpu * 10) / 10 } : {}) });
    }
  }

  /** Safe to call twice. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** RSS and CPU (µs) summed per process group. */
function sumByGroup(all: ProcStat[]): Map<number, { rss: number; cpuUsec: number }> {
  const byGroup = new Map<number, { rss: number; cpuUsec: number }>();
  for (const p of all) {
    if (p.state === 'Z') continue;
    const usec = (p.cpuTicks / CLOCK_TICKS) * 1e6;
    const g = byGroup.get(p.pgrp);
    if (g) {
      g.rss += p.rss;
      g.cpuUsec += usec;
    } else byGroup.set(p.pgrp, { rss: p.rss, cpuUsec: usec });
  }
  return byGroup;
}
