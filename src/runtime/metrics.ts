import { cgroupBoxOf } from './process/contain.js';
import { CLOCK_TICKS, HAS_PROC, groupTree, listProcesses, procPids, readStat, residentBytes, type ProcStat } from './proc.js';
import { readSmall } from './small-file.js';

export interface GroupSample {
  /**
   * Percent of one core since the previous read of this group; on its first read, over the
   * group leader's lifetime (as `ps` shows it).
   */
  cpu?: number;
  rss: number;
  /** CPU time of the group's live processes, seconds. */
  cpuSeconds: number;
}

export interface RegisterOptions {
  /** Sampled every interval even when nobody looks (`max_memory` needs it). @default never */
  always?: () => boolean;
}

export interface SamplerOptions {
  /**
   * A demand that finds figures older than an interval but younger than this answers with
   * them and refreshes them in the background, a slice of groups per turn of the loop
   * (1,000 cgroups read at once held the loop for 150–300 ms, and every request waited).
   * Older figures (an idle spell) are read in slices too, and the demand waits for them. A viewer's interval refresh
   * (`tick`) is done in slices too. @default 0 (always at once)
   */
  servedStaleMs?: number;
  /** Loop time one turn of a background refresh may use. @default 5 */
  sliceMs?: number;
}

interface Entry {
  pgid: () => number | undefined;
  onSample: (s: GroupSample) => void;
  always?: () => boolean;
  /** CPU so far in microseconds (cgroup cpu.stat, or /proc ticks converted). */
  last?: { pgid: number; cpuUsec: number; at: number };
}

/**
 * CPU and memory per instance. Memory is RSS summed over the instance's processes, the figure
 * `ps` and PM2 show, everywhere (status, TUI, top, /metrics, max_memory). An instance in a
 * cgroup reads its own members (cgroup.procs, then /proc/<pid>/stat each) and its CPU from
 * cpu.stat usage_usec, counting processes that left the process group; the others are summed
 * per process group from /proc. RSS is each process's /proc/<pid>/statm (what `ps -o rss`
 * shows; /proc/<pid>/stat's is the kernel's approximate counter).
 * Sampling follows who is looking: while a viewer is attached (`watch`, e.g. a TUI) or for
 * `lookMs` after someone asked (`demand`; the daemon uses 0: a `jobctl status` or a scrape of
 * /metrics reads once, at that moment), every registered group is sampled each interval from
 * one read of /proc (not one per process). When nobody looks, only the groups that need it
 * (`always`: max_memory) are sampled, each by walking its own process tree; with none,
 * nothing is read. CPU % is the share of one core since the previous read of the group (the
 * group leader's lifetime on a first read), so a one-shot read needs no sampling before it.
 */
export class MetricsSampler {
  private readonly entries = new Map<number, Entry>();
  private nextId = 0;
  private timer: NodeJS.Timeout | undefined;
  private watchers = 0;
  private lookingUntil = 0;
  private lastFullAt = 0;
  private refreshing = false;
  /** The read of every figure after an idle spell, while it goes on (`demand` waits for it). */
  private idleRead: Promise<void> | undefined;
  /** Called when the refresh under way ends. */
  private readonly refreshWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly servedStaleMs: number;
  private readonly sliceMs: number;
  /** Samples taken (full scans and tree walks), for tests and benchmarks. */
  fullScans = 0;
  treeWalks = 0;
  /** Full samples done in slices, in the background (`servedStaleMs`). */
  backgroundScans = 0;

  /**
   * @param intervalMs sampling interval. @default 2000
   * @param lookMs how long sampling goes on after a `demand`. @default 60000
   */
  constructor(private readonly intervalMs = 2000, private readonly lookMs = 60_000, opts: SamplerOptions = {}) {
    this.servedStaleMs = opts.servedStaleMs ?? 0;
    this.sliceMs = opts.sliceMs ?? 5;
  }

  /** Returns an unregister function. */
  register(pgid: () => number | undefined, onSample: (s: GroupSample) => void, opts: RegisterOptions = {}): () => void {
    const id = this.nextId++;
    this.entries.set(id, { pgid, onSample, ...(opts.always ? { always: opts.always } : {}) });
    return () => this.entries.delete(id);
  }

  /**
   * Someone looks now (status, the metrics endpoint): sampling goes on for a while. The first
   * look after an idle spell reads the figures before it is answered: at once without
   * `servedStaleMs`; with it, in slices, and the returned promise resolves once they are read
   * (1,000 boxes read at once held the loop 150–340 ms: every firing and request waited). Later
   * looks leave it to the timer, so their replies never wait for a read.
   */
  demand(now = Date.now()): Promise<void> | undefined {
    this.lookingUntil = now + this.lookMs;
    // A read after an idle spell is under way: this answer waits for it too.
    if (this.idleRead) return this.idleRead;
    // Figures older than an interval (nobody looked, or a viewer attached a moment ago and no
    // tick has run yet): read now, so this answer has them. Otherwise the timer's are fresh.
    if (now - this.lastFullAt < this.intervalMs) return undefined;
    if (this.lastFullAt > 0 && now - this.lastFullAt < this.servedStaleMs) {
      this.refreshInTurns(now);
      return undefined;
    }
    if (this.servedStaleMs === 0) {
      this.sampleNow(now);
      return undefined;
    }
    return this.readAfterIdle(now);
  }

  /** Every figure read in slices, the promise settled once all are (one such read at a time). */
  private readAfterIdle(now: number): Promise<void> {
    if (this.idleRead) return this.idleRead;
    // (A refresh under way already: its end is waited for.)
    const read = new Promise<void>((resolve) => this.refreshInTurns(now, resolve)).finally(() => {
      if (this.idleRead === read) this.idleRead = undefined;
    });
    this.idleRead = read;
    return read;
  }

  /**
   * A viewer attached: every group is sampled until the returned function is called. The
   * first viewer after an idle spell samples at once: its first status (asked right after
   * it subscribes) then has figures, instead of `-` until a task changes state.
   */
  watch(now = Date.now()): () => void {
    if (this.watchers === 0 && now >= this.lookingUntil && now - this.lastFullAt >= this.intervalMs) {
      // In slices with servedStaleMs: the viewer's first status (demand) waits for them.
      if (this.servedStaleMs > 0) void this.readAfterIdle(now);
      else this.sampleNow(now);
    }
    this.watchers++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.watchers--;
    };
  }

  start(): void {
    if (this.timer || !HAS_PROC) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * One interval: everything when someone looks, else only the `always` groups. With
   * `servedStaleMs`, a viewer's figures (already read once) are refreshed in slices too: read at
   * once, 1,000 groups and their pushes to the viewer held the loop ~50–140 ms every interval.
   */
  tick(now = Date.now()): void {
    if (this.watchers > 0 || now < this.lookingUntil) {
      if (this.servedStaleMs > 0 && this.lastFullAt > 0) this.refreshInTurns(now);
      else this.sampleNow(now);
      return;
    }
    const needed = [...this.entries.values()].filter((e) => e.always?.() && e.pgid() !== undefined);
    if (needed.length === 0) return;
    this.apply(needed, () => {
      this.treeWalks++;
      return needed.flatMap((e) => groupTree(e.pgid()!));
    }, now);
  }

  /** Sample every registered group now, from one scan of /proc. */
  sampleNow(now = Date.now()): void {
    const live = [...this.entries.values()].filter((e) => e.pgid() !== undefined);
    this.lastFullAt = now;
    if (live.length === 0) return;
    this.apply(live, () => {
      this.fullScans++;
      return listProcesses();
    }, now);
  }

  /** `procs` is read only when an entry has no cgroup figures. */
  private apply(live: Entry[], procs: () => ProcStat[], now: number): void {
    const read = this.reading(live, procs, now);
    for (const e of live) this.applyOne(e, read, now);
  }

  /**
   * Every registered group, a slice per turn of the loop (setImmediate: the socket and the
   * exits are served between slices). One at a time; the figures count as fresh from its start.
   * Groups with cgroup figures are read one by one; the others from one /proc scan, itself read
   * a process at a time (1,000 process groups: ~100 ms of reads in one piece otherwise).
   */
  private refreshInTurns(now: number, done?: () => void): void {
    if (done) this.refreshWaiters.push(done);
    if (this.refreshing) return;
    this.refreshing = true;
    this.lastFullAt = now;
    this.backgroundScans++;
    const steps = this.refreshSteps([...this.entries]);
    const end = () => {
      this.refreshing = false;
      for (const w of this.refreshWaiters.splice(0)) w();
    };
    const turn = () => {
      const t0 = performance.now(); // the global: node:perf_hooks loads on first use, not at start (issue 28)
      // At least one step a turn, whatever sliceMs is.
      try {
        do {
          if (this.stopped || steps.next().done) return end();
        } while (performance.now() - t0 < this.sliceMs);
      } catch (e) {
        // A group's read or its callback threw: this refresh ends, and the answers waiting for it
        // go (they waited for ever, and every later status with them); the error stays uncaught.
        end();
        throw e;
      }
      setImmediate(turn);
    };
    setImmediate(turn);
  }

  /** The refresh's work, a step per group or process read. */
  private *refreshSteps(queue: Array<[number, Entry]>): Generator<void, void> {
    // Unregistered meanwhile (its instance is gone), or not running now: nothing to read.
    const current = ([id, e]: [number, Entry]) => this.entries.get(id) === e && e.pgid() !== undefined;
    const uptime = once(hostUptime);
    const rest: Array<[number, Entry]> = [];
    for (const item of queue) {
      if (!current(item)) continue;
      const pgid = item[1].pgid()!;
      const own = cgroupFigures(pgid);
      if (own) this.record(item[1], pgid, own, Date.now(), uptime);
      else rest.push(item);
      yield;
    }
    if (rest.length === 0) return;
    const wanted = new Set(rest.map(([, e]) => e.pgid()).filter((g) => g !== undefined));
    const groups = new Map<number, Figures>();
    for (const pid of procPids()) {
      const p = readStat(pid);
      if (p) addToGroup(groups, p, wanted);
      yield;
    }
    const at = Date.now();
    for (const item of rest) {
      if (!current(item)) continue;
      const pgid = item[1].pgid()!;
      const g = groups.get(pgid);
      if (g) this.record(item[1], pgid, g, at, uptime);
      yield;
    }
  }

  /** What one sample reads once for all its groups (the /proc scan, uptime), read when first needed. */
  private reading(live: Entry[], procs: () => ProcStat[], now: number): SampleReads {
    let byGroup: GroupScan | undefined;
    return {
      byGroup: () => (byGroup ??= { at: now, groups: sumByGroup(procs(), new Set(live.map((x) => x.pgid()).filter((g) => g !== undefined))) }),
      uptime: once(hostUptime),
    };
  }

  private applyOne(e: Entry, read: SampleReads, now: number): void {
    const pgid = e.pgid()!;
    const own = cgroupFigures(pgid);
    if (own) this.record(e, pgid, own, now, read.uptime);
    else {
      const scan = read.byGroup();
      const g = scan.groups.get(pgid);
      if (g) this.record(e, pgid, g, scan.at, read.uptime);
    }
  }

  /** One group's figures, read at `at`. */
  private record(e: Entry, pgid: number, g: Figures, at: number, uptime: () => number | undefined): void {
    // A refresh's scan overtaken by a newer sample of this group (a tick between its slices):
    // applied, it would show 0 % now and the CPU of both spells over one at the next read.
    if (e.last && e.last.pgid === pgid && at < e.last.at) return;
    let cpu: number | undefined;
    if (e.last && e.last.pgid === pgid && at > e.last.at) {
      cpu = Math.max(0, ((g.cpuUsec - e.last.cpuUsec) / 1e6 / ((at - e.last.at) / 1000)) * 100);
    } else {
      cpu = lifetimeCpu(pgid, g.cpuUsec, uptime());
    }
    e.last = { pgid, cpuUsec: g.cpuUsec, at };
    e.onSample({ rss: g.rss, cpuSeconds: Math.round(g.cpuUsec / 1e4) / 100, ...(cpu !== undefined ? { cpu: Math.round(cpu * 10) / 10 } : {}) });
  }

  /** Safe to call twice. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The /proc figures per group, and when they were read. */
interface GroupScan {
  at: number;
  groups: Map<number, Figures>;
}

/** A group's RSS (bytes) and CPU so far (µs). */
interface Figures {
  rss: number;
  cpuUsec: number;
}

/** A box's own figures (cgroup cpu.stat and members); undefined without (then /proc's). */
function cgroupFigures(pgid: number): Figures | undefined {
  const usage = cgroupBoxOf(pgid)?.usage();
  // An empty box reads no memory: 0, not a fall back to /proc.
  return usage?.cpuUsec !== undefined ? { rss: usage.memory ?? 0, cpuUsec: usage.cpuUsec } : undefined;
}

/** `read` called at most once, when first needed. */
function once<T>(read: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = read();
      done = true;
    }
    return value;
  };
}

interface SampleReads {
  byGroup: () => GroupScan;
  uptime: () => number | undefined;
}

/** Seconds since boot (/proc/uptime), the clock of /proc/<pid>/stat's start times. */
function hostUptime(): number | undefined {
  const text = readSmall('/proc/uptime');
  const s = text ? Number(text.slice(0, text.indexOf(' '))) : NaN;
  return Number.isFinite(s) ? s : undefined;
}

/** Percent of one core over the group leader's life (a group's first read: no earlier one to compare). */
function lifetimeCpu(pgid: number, cpuUsec: number, uptime: number | undefined): number | undefined {
  const started = uptime !== undefined ? readStat(pgid)?.startTime : undefined;
  if (started === undefined || uptime === undefined) return undefined;
  const lived = uptime - started / CLOCK_TICKS;
  return lived > 0 ? Math.max(0, (cpuUsec / 1e6 / lived) * 100) : undefined;
}

/** RSS (statm, as `ps`) and CPU (µs) summed per process group, for the groups asked for only. */
function sumByGroup(all: ProcStat[], wanted: ReadonlySet<number>): Map<number, Figures> {
  const byGroup = new Map<number, Figures>();
  for (const p of all) addToGroup(byGroup, p, wanted);
  return byGroup;
}

/** One process's RSS and CPU added to its group's, when the group is wanted and the process not a zombie. */
function addToGroup(byGroup: Map<number, Figures>, p: ProcStat, wanted: ReadonlySet<number>): void {
  if (p.state === 'Z' || p.state === 'X' || !wanted.has(p.pgrp)) return;
  const usec = (p.cpuTicks / CLOCK_TICKS) * 1e6;
  const rss = residentBytes(p.pid);
  const g = byGroup.get(p.pgrp);
  if (g) {
    g.rss += rss;
    g.cpuUsec += usec;
  } else byGroup.set(p.pgrp, { rss, cpuUsec: usec });
}
