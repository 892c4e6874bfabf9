import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainmentInfo } from '../../shared/protocol.js';
import type { TaskLimits } from '../../shared/types.js';
import { groupProcs, probeCgroups, removeDir, writeControl, type CgroupHost, type ControllerName } from '../cgroup.js';
import { groupTree, readStat, residentBytes } from '../proc.js';
import { readSmall } from '../small-file.js';
import { EnvScanner, processesWithEnv } from './env-scan.js';
import { signalGroup } from './stop.js';

/**
 * The contain stage of a process's life (DESIGN.md "Processes", "The hot path"): every service
 * instance, cron run and probe lives in a Box. Where the daemon can write a cgroup v2 subtree
 * the box is a cgroup: stop signals every process in it, `cgroup.kill` clears it, "stopped"
 * means `cgroup.events` says unpopulated, and nothing reads /proc. Elsewhere it is the process
 * group plus the processes whose environment names this home, task and instance/run, found by
 * one shared asynchronous walk of /proc that serves every box waiting at the time (so a
 * `setsid` grandchild cannot escape either way). The daemon makes one Containment per home
 * and hands it to its runners.
 */

/** The resident memory of these processes summed, as `ps` shows it (zombies and vanished ones count 0). */
function rssOf(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) sum += residentBytes(pid);
  return sum;
}

/** a, plus the members of b that a lacks (b is most often a itself: then no set is made). */
function union(a: number[], b: number[]): number[] {
  if (a.length === b.length && a.every((x, i) => x === b[i])) return a;
  return [...new Set([...a, ...b])];
}

/** Containment in plain words, no paths: "cgroups: hybrid v1/v2; memory, cpu and pids limits enforced". */
export function containmentSummary(host: Pick<CgroupHost, 'v2Controllers' | 'v1Bases'>): string {
  const all: ControllerName[] = ['memory', 'cpu', 'pids'];
  const v2 = all.filter((c) => host.v2Controllers.includes(c));
  const v1 = all.filter((c) => !v2.includes(c) && host.v1Bases[c] !== undefined);
  const enforced = [...v2, ...v1].sort((a, b) => all.indexOf(a) - all.indexOf(b));
  const missing = all.filter((c) => !enforced.includes(c));
  const list = (cs: ControllerName[]) => (cs.length > 1 ? `${cs.slice(0, -1).join(', ')} and ${cs[cs.length - 1]}` : cs[0] ?? '');
  const version = v1.length ? 'hybrid v1/v2' : 'v2';
  const limits = enforced.length ? `${list(enforced)} limit${enforced.length > 1 ? 's' : ''} enforced` : 'no limits can be enforced';
  return `cgroups: ${version}; ${limits}${enforced.length && missing.length ? ` (not ${list(missing)})` : ''}`;
}

/** Who a process belongs to: the JOBCTL_* variables every process of a box carries. */
export interface BoxIdentity {
  /** Undefined for a containment without a home (process groups alone). */
  home?: string;
  task: string;
  instance?: number;
  runId?: string;
}

export interface BoxUsage {
  /** RSS of the box's live processes summed, bytes (what `ps` shows, added up). */
  memory?: number;
  /** CPU time of everything that ever ran in the box, microseconds. */
  cpuUsec?: number;
}

export interface Box {
  readonly kind: 'cgroup' | 'pgroup';
  /** The v2 cgroup directory (cgroup boxes). */
  readonly cgroup?: string;
  /** cgroup.procs files a new process writes "0" to before its exec, to join the box. */
  readonly joinFiles: string[];
  /** Limits asked for but not in force on this host, one line each. */
  readonly notes: string[];
  /** The process group leader, once spawned. */
  attach(pgid: number): void;
  /**
   * Send a signal to the process group and to every process of the box; false when none is
   * left that it could see at once (a process-group box signals its escapees after its walk).
   */
  signal(sig: NodeJS.Signals): boolean;
  /** SIGKILL everything in the box (cgroup.kill). */
  kill(): void;
  isEmpty(): Promise<boolean>;
  /** Poll until empty, up to timeoutMs; true when it emptied. */
  waitEmpty(timeoutMs: number): Promise<boolean>;
  /**
   * stop_signal to what is left, then kill after graceMs; resolves once empty (or 1 s after the
   * kill). `outputClosed`: the box's output pipes reached their end, so no process of the box
   * holds them (a process-group box whose group is gone then needs no walk of /proc).
   */
  clear(signal: NodeJS.Signals, graceMs: number, o?: ClearOptions): Promise<'empty' | 'signalled' | 'killed'>;
  usage(): BoxUsage | undefined;
  /** How many processes the kernel OOM-killed in this box. */
  oomKills(): number;
  /** Apply changed limits to the running box; a note per limit not in force. */
  setLimits(limits: TaskLimits | undefined): string[];
  /** Remove the box's cgroups (after it emptied). Safe to call twice. */
  release(): void;
  /**
   * The exit's end (the box emptied): its OOM kills (as `oomKills`), then `release`; a leaf
   * kept for the slot carries the count read here, so its next box reads none at its start.
   */
  releaseSettled(): number;
}

export interface ClearOptions {
  /** Resolves when the process's stdout and stderr have ended. */
  outputClosed?: Promise<unknown>;
}

export interface SweptBox {
  name: string;
  task?: string;
  pids: number[];
}

const LEAF_SAFE = /[^A-Za-z0-9._-]/g;

/**
 * Swap files exist only where the kernel accounts swap (v2 memory.swap.max, v1 memsw): the
 * memory limit is in force without them, so a refused write there is no failure.
 */
const OPTIONAL_CONTROL = /^memory\.(swap\.max|memsw\.)/;

/** The cgroup leaf of one instance or run: `<task>.i<n>` / `<task>.r<run-id>`. */
export function leafName(id: BoxIdentity): string {
  const slot = id.runId !== undefined ? `r${id.runId}` : `i${id.instance ?? 0}`;
  return `${id.task}.${slot}`.replace(LEAF_SAFE, '_');
}

/**
 * The NUL-separated environ entries that say a process belongs to this box; undefined when
 * they would not single it out (no home, and no run id, which is unique by itself).
 */
function envMarks(id: BoxIdentity): string[] | undefined {
  if (id.home === undefined && id.runId === undefined) return undefined;
  const marks = [...(id.home !== undefined ? [`\0JOBCTL_HOME=${id.home}\0`] : []), `\0JOBCTL_TASK=${id.task}\0`];
  if (id.runId !== undefined) marks.push(`\0JOBCTL_RUN_ID=${id.runId}\0`);
  else if (id.instance !== undefined) marks.push(`\0JOBCTL_INSTANCE=${id.instance}\0`);
  return marks;
}

/** Signal each pid; `except` (a group's leader that the group's signal reached already) is left out. */
function killPids(pids: number[], sig: NodeJS.Signals, except?: number): void {
  for (const pid of pids) {
    if (pid === except) continue;
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

/**
 * The box's processes by pid, after its process group was signalled: only those that left the
 * group (setsid, setpgid) get the signal. One still in it had it already, and a second SIGTERM
 * is "stop now" to many programs; one a TERM handler started after the signal (a shell trap's
 * cleanup) is in the group too and is left to finish. SIGKILL goes to every one found: a
 * process forked while the group was being killed must not outlive it.
 */
export function signalLeavers(pids: number[], sig: NodeJS.Signals, pgid: number | undefined): void {
  if (pgid === undefined || sig === 'SIGKILL') return killPids(pids, sig, pgid);
  const left = (pid: number) => {
    const stat = pid === pgid ? undefined : readStat(pid); // a process gone: nothing to signal
    return stat !== undefined && stat.pgrp !== pgid;
  };
  killPids(pids.filter(left), sig);
}

/** Live cgroup boxes by their leader's process group, for the metrics sampler. */
const boxesByGroup = new Map<number, Box>();

/** The cgroup box whose leader leads this process group, if any. */
export function cgroupBoxOf(pgid: number): Box | undefined {
  return boxesByGroup.get(pgid);
}

abstract class BaseBox implements Box {
  abstract readonly kind: 'cgroup' | 'pgroup';
  readonly joinFiles: string[] = [];
  readonly notes: string[] = [];
  protected pgid: number | undefined;

  attach(pgid: number): void {
    this.pgid = pgid;
  }

  abstract signal(sig: NodeJS.Signals): boolean;
  abstract kill(): void;
  abstract isEmpty(): Promise<boolean>;

  async waitEmpty(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let pause = 5;
    while (!(await this.isEmpty())) {
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(pause * 2, 100);
    }
    return true;
  }

  async clear(signal: NodeJS.Signals, graceMs: number, _o?: ClearOptions): Promise<'empty' | 'signalled' | 'killed'> {
    if (await this.isEmpty()) return 'empty';
    this.signal(signal);
    if (await this.waitEmpty(graceMs)) return 'signalled';
    this.kill();
    await this.waitEmpty(1000);
    return 'killed';
  }

  usage(): BoxUsage | undefined {
    return undefined;
  }

  oomKills(): number {
    return 0;
  }

  setLimits(limits: TaskLimits | undefined): string[] {
    return limits && Object.keys(limits).length ? ['limits are not in force: this box is a process group (no cgroups)'] : [];
  }

  release(): void {
    /* nothing to remove */
  }

  releaseSettled(): number {
    const ooms = this.oomKills();
    this.release();
    return ooms;
  }
}

/**
 * No cgroups: the process group, plus the processes that carry this box's JOBCTL_* variables
 * (found by the home's shared walk, never on the hot path: a group that is gone with its
 * output closed is empty without one).
 */
class ProcessGroupBox extends BaseBox {
  readonly kind = 'pgroup' as const;
  private readonly marks: string[] | undefined;

  constructor(private readonly scanner: EnvScanner, id: BoxIdentity) {
    super();
    this.marks = envMarks(id);
  }

  signal(sig: NodeJS.Signals): boolean {
    const inGroup = this.pgid !== undefined && signalGroup(this.pgid, sig);
    if (this.marks) void this.scanner.find(this.marks).then((strays) => signalLeavers(strays, sig, inGroup ? this.pgid : undefined));
    return inGroup;
  }

  kill(): void {
    this.signal('SIGKILL');
  }

  /** Some process of the group is alive: kill(0) first, then its members from the leader down, then a walk. */
  private async groupAlive(): Promise<boolean> {
    if (this.pgid === undefined) return false;
    try {
      process.kill(-this.pgid, 0);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    // kill(0) also succeeds for zombies not reaped yet, and for members that left the leader's tree.
    if (groupTree(this.pgid).length > 0) return true;
    return (await this.scanner.findGroup(this.pgid)).length > 0;
  }

  async isEmpty(): Promise<boolean> {
    if (await this.groupAlive()) return false;
    return !this.marks || (await this.scanner.find(this.marks)).length === 0;
  }

  override async clear(signal: NodeJS.Signals, graceMs: number, o?: ClearOptions): Promise<'empty' | 'signalled' | 'killed'> {
    // Nothing of the group is left and nothing holds its output: no escapee to look for.
    if (o?.outputClosed && !(await this.groupAlive()) && (await settlesWithin(o.outputClosed, 100))) return 'empty';
    return super.clear(signal, graceMs);
  }
}

/** Whether the promise settles within ms. */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(() => true, () => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The directories of a cgroup box, which may outlive one process: a leaf kept for its slot
 * (an instance, or any run of a task) is used again by the next process of that slot, so no
 * mkdir/rmdir happens per start. `limits` is what is written there now.
 */
export interface Leaf {
  readonly cgroup: string;
  readonly v1: Partial<Record<ControllerName, string>>;
  limits: TaskLimits;
  /** Processes that have used it before (a reused leaf's counters start from what they were). */
  uses: number;
  /** Its OOM count when it was last handed back (read then): the next box needs no read. */
  oomCount?: number;
}

/** A cgroup v2 leaf (plus v1 leaves for the controllers v2 lacks on a hybrid host). */
class CgroupBox extends BaseBox {
  readonly kind = 'cgroup' as const;
  readonly cgroup: string;
  private readonly v1: Partial<Record<ControllerName, string>>;
  private released = false;
  /** A reused leaf's OOM count and CPU time before this box: the box reports its own. */
  private readonly oomBase: number;
  private readonly cpuBase: number;

  /** `leaf`: already made; `onRelease`: takes the leaf back when the box ends empty (else it is removed). */
  constructor(private readonly host: CgroupHost, private readonly leaf: Leaf, limits: TaskLimits | undefined, private readonly onRelease?: (leaf: Leaf) => void) {
    super();
    this.cgroup = leaf.cgroup;
    this.v1 = leaf.v1;
    this.joinFiles.push(path.join(this.cgroup, 'cgroup.procs'));
    // v1 leaves: memory always (figures and OOM reports), pids/cpu when limited (or made before).
    for (const c of ['memory', ...(limits?.pids !== undefined ? ['pids'] : []), ...(limits?.cpu !== undefined ? ['cpu'] : [])] as ControllerName[]) this.v1Leaf(c);
    for (const dir of Object.values(this.v1)) this.joinFiles.push(path.join(dir, 'cgroup.procs'));
    this.notes.push(...this.setLimits(limits));
    this.oomBase = leaf.uses > 0 ? leaf.oomCount ?? this.oomCount() : 0;
    this.cpuBase = leaf.uses > 0 ? this.cpuUsec() ?? 0 : 0;
    leaf.uses++;
  }

  /** The v1 leaf of a controller v2 lacks here, made on first use; undefined when there is none. */
  private v1Leaf(c: ControllerName): string | undefined {
    if (this.v1[c]) return this.v1[c];
    const base = this.host.v1Bases[c];
    if (!base || this.host.v2Controllers.includes(c)) return undefined;
    const dir = path.join(base, path.basename(this.cgroup));
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch {
      return undefined;
    }
    this.v1[c] = dir;
    return dir;
  }

  /**
   * Apply limits, at the start or live (a config change on a running instance): each key
   * that differs from what is in force is written (a removed key goes back to unlimited).
   * A v1 leaf made now takes in the box's processes. Returns a note per limit not in force.
   */
  override setLimits(next: TaskLimits = {}): string[] {
    const prev = this.leaf.limits;
    this.leaf.limits = { ...next };
    const notes: string[] = [];
    const v2 = (c: ControllerName) => this.host.v2Controllers.includes(c);
    const set = (c: ControllerName, v2Writes: Array<[string, string]>, v1Writes: Array<[string, string]>) => {
      let ok = false;
      if (v2(c)) ok = v2Writes.every(([f, v]) => writeControl(path.join(this.cgroup, f), v) || OPTIONAL_CONTROL.test(f));
      else {
        const fresh = !this.v1[c];
        const dir = this.v1Leaf(c);
        if (dir) {
          if (fresh) for (const pid of this.procs()) writeControl(path.join(dir, 'cgroup.procs'), String(pid));
          ok = v1Writes.every(([f, v]) => writeControl(path.join(dir, f), v) || OPTIONAL_CONTROL.test(f));
        }
      }
      if (!ok) notes.push(`limits.${c} is not in force: this host has no writable ${c} controller for jobctl (see docs/running.md "How tasks run")`);
    };
    if (next.memory !== prev.memory) {
      const v = next.memory === undefined ? undefined : String(next.memory);
      // v1 wants memsw >= limit at every step: widen memsw first, then the limit, then memsw to match.
      // No swap for a limited box (v2), and swap back to unlimited when the limit goes.
      set('memory', [['memory.max', v ?? 'max'], ['memory.swap.max', v ? '0' : 'max']],
        [['memory.memsw.limit_in_bytes', '-1'], ['memory.limit_in_bytes', v ?? '-1'], ['memory.memsw.limit_in_bytes', v ?? '-1']]);
    }
    if (next.cpu !== prev.cpu) {
      const quota = next.cpu === undefined ? undefined : String(Math.max(1000, Math.round(next.cpu * 100_000)));
      set('cpu', [['cpu.max', `${quota ?? 'max'} 100000`]], [['cpu.cfs_period_us', '100000'], ['cpu.cfs_quota_us', quota ?? '-1']]);
    }
    if (next.pids !== prev.pids) set('pids', [['pids.max', next.pids === undefined ? 'max' : String(next.pids)]], [['pids.max', next.pids === undefined ? 'max' : String(next.pids)]]);
    return notes;
  }

  /** The processes of the v2 group (for cgroup.procs writes: these alone). */
  private procs(): number[] {
    return groupProcs(this.cgroup);
  }

  /**
   * Everything that belongs to the box: the v2 group and the v1 leaves (a process that left
   * the v2 group is still there on a hybrid host). Read from the box's own files only.
   */
  private members(): number[] {
    return [...new Set([...this.procs(), ...this.v1Procs()])];
  }

  private v1Procs(): number[] {
    return Object.values(this.v1).flatMap((d) => groupProcs(d));
  }

  signal(sig: NodeJS.Signals): boolean {
    const inGroup = this.pgid !== undefined && signalGroup(this.pgid, sig);
    // Each member that left the group (setsid) by pid too: it is in the box still.
    const procs = this.members();
    signalLeavers(procs, sig, inGroup ? this.pgid : undefined);
    return inGroup || procs.length > 0;
  }

  /**
   * cgroup.kill takes every process of the v2 group at once; the process group and the v1
   * leaves (a process that left the v2 group on a hybrid host) by signal. Without cgroup.kill
   * (before Linux 5.14), every member by pid.
   */
  kill(): void {
    const cleared = writeControl(path.join(this.cgroup, 'cgroup.kill'), '1');
    const inGroup = this.pgid !== undefined && signalGroup(this.pgid, 'SIGKILL');
    killPids(cleared ? this.v1Procs() : this.members(), 'SIGKILL', inGroup ? this.pgid : undefined);
  }

  /** `cgroup.events` says unpopulated and the v1 leaves are empty: no walk of /proc. */
  async isEmpty(): Promise<boolean> {
    const events = readSmall(path.join(this.cgroup, 'cgroup.events'));
    if (events === undefined) return this.members().length === 0;
    return /^populated 0$/m.test(events) && this.v1Procs().length === 0;
  }

  override attach(pgid: number): void {
    super.attach(pgid);
    boxesByGroup.set(pgid, this);
  }

  /**
   * Memory is the RSS of the box's processes summed, as `ps` and PM2 show it (not the
   * cgroup's charge, memory.current, which counts page cache and kernel memory too): one
   * read of cgroup.procs (and of the v1 memory leaf's, where a process that left the v2 group
   * still is) and one /proc/<pid>/statm per process. CPU is the cgroup's own count (cpu.stat),
   * which keeps the time of processes that ended. Every read goes through one shared buffer.
   */
  override usage(): BoxUsage {
    const out: BoxUsage = {};
    const v2 = this.procs();
    const pids = this.v1.memory ? union(v2, groupProcs(this.v1.memory)) : v2;
    if (pids.length) out.memory = rssOf(pids);
    const cpu = this.cpuUsec();
    if (cpu !== undefined) out.cpuUsec = Math.max(0, cpu - this.cpuBase);
    return out;
  }

  /** The leaf's own CPU count (cpu.stat, v2), since it was made. */
  private cpuUsec(): number | undefined {
    const cpu = /^usage_usec (\d+)$/m.exec(readSmall(path.join(this.cgroup, 'cpu.stat')) ?? '');
    return cpu ? Number(cpu[1]) : undefined;
  }

  /** The leaf's OOM kills since it was made. */
  private oomCount(): number {
    const file = this.oomFile();
    return oomKillsIn(file && readSmall(file));
  }

  /** memory.events (v2) or the v1 leaf's memory.oom_control. */
  private oomFile(): string | undefined {
    return this.host.v2Controllers.includes('memory') ? path.join(this.cgroup, 'memory.events') : this.v1.memory && path.join(this.v1.memory, 'memory.oom_control');
  }

  override oomKills(): number {
    return Math.max(0, this.oomCount() - this.oomBase);
  }

  override release(): void {
    this.releaseWith(undefined);
  }

  /** `oomCount`: the leaf's count, read just before (handed on with a kept leaf). */
  private releaseWith(oomCount: number | undefined): void {
    if (this.released) return;
    this.released = true;
    if (this.pgid !== undefined && boxesByGroup.get(this.pgid) === this) boxesByGroup.delete(this.pgid);
    // Kept for the slot's next process only when nothing is left in it (two small reads, no walk).
    if (this.onRelease && /^populated 0$/m.test(readSmall(path.join(this.cgroup, 'cgroup.events')) ?? '') && this.v1Procs().length === 0) {
      if (oomCount === undefined) delete this.leaf.oomCount;
      else this.leaf.oomCount = oomCount;
      this.onRelease(this.leaf);
      return;
    }
    for (const dir of [this.cgroup, ...Object.values(this.v1)]) removeDir(dir);
  }

  override releaseSettled(): number {
    const count = this.oomCount();
    this.releaseWith(count);
    return Math.max(0, count - this.oomBase);
  }
}

/** The `oom_kill N` line of memory.events or memory.oom_control; 0 without one. */
function oomKillsIn(text: string | undefined): number {
  return Number(/^oom_kill (\d+)$/m.exec(text ?? '')?.[1] ?? 0);
}

/** mkdir a leaf; one left by an earlier process of the same name is cleared first. */
function makeFreshDir(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    writeControl(path.join(dir, 'cgroup.kill'), '1');
  }
}

/** A new leaf made on the sync path (the v1 leaves are made by the box as it needs them). */
function makeLeaf(host: CgroupHost, name: string): Leaf {
  const cgroup = path.join(host.v2Base, name);
  makeFreshDir(cgroup);
  return { cgroup, v1: {}, limits: {}, uses: 0 };
}

/**
 * A new leaf made off the event loop (mkdir on libuv's pool): the v2 directory and the v1
 * leaves the limits will need. A leftover of the same name is cleared first.
 */
async function makeLeafAsync(host: CgroupHost, name: string, limits: TaskLimits | undefined): Promise<Leaf> {
  const cgroup = path.join(host.v2Base, name);
  try {
    await fs.promises.mkdir(cgroup);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    writeControl(path.join(cgroup, 'cgroup.kill'), '1');
  }
  const v1: Partial<Record<ControllerName, string>> = {};
  const wanted: ControllerName[] = ['memory', ...(limits?.pids !== undefined ? ['pids' as const] : []), ...(limits?.cpu !== undefined ? ['cpu' as const] : [])];
  await Promise.all(wanted.map(async (c) => {
    const base = host.v1Bases[c];
    if (!base || host.v2Controllers.includes(c)) return;
    const dir = path.join(base, name);
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      v1[c] = dir;
    } catch {
      /* no v1 leaf for this controller: the box says so if a limit needs it */
    }
  }));
  return { cgroup, v1, limits: {}, uses: 0 };
}

/** Every directory of a kept leaf is still there (one stat each: no read, no walk). */
function leafIntact(leaf: Leaf): boolean {
  return [leaf.cgroup, ...Object.values(leaf.v1)].every((d) => fs.existsSync(path.join(d, 'cgroup.procs')));
}

/** How long a kept leaf may stay unused before it is removed (its task is likely gone). */
const LEAF_IDLE_MS = 60_000;

/**
 * The leaves kept between processes, by slot: `<task>.i<n>` for an instance, `<task>.r` for
 * any run of a cron task (a run takes whichever of its task's leaves is free). Unused leaves
 * are removed off the loop after LEAF_IDLE_MS, and all of them when the home closes.
 */
class LeafPool {
  private readonly idle = new Map<string, Array<{ leaf: Leaf; since: number }>>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  take(slot: string): Leaf | undefined {
    const list = this.idle.get(slot);
    const got = list?.pop();
    if (list && list.length === 0) this.idle.delete(slot);
    return got?.leaf;
  }

  put(slot: string, leaf: Leaf): void {
    let list = this.idle.get(slot);
    if (!list) this.idle.set(slot, (list = []));
    list.push({ leaf, since: Date.now() });
    this.timer ??= setInterval(() => void this.expire(), LEAF_IDLE_MS / 2).unref();
  }

  /** A new run leaf's name: unique in this daemon (`<task>.s<n>`). */
  runLeafName(task: string): string {
    return `${task}.s${this.seq++}`.replace(LEAF_SAFE, '_');
  }

  /** Remove the leaves unused for LEAF_IDLE_MS (rmdir off the loop). */
  async expire(now = Date.now(), idleMs = LEAF_IDLE_MS): Promise<void> {
    const old: Leaf[] = [];
    for (const [slot, list] of this.idle) {
      const keep = list.filter((e) => (now - e.since < idleMs ? true : (old.push(e.leaf), false)));
      if (keep.length) this.idle.set(slot, keep);
      else this.idle.delete(slot);
    }
    if (this.idle.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    await Promise.all(old.flatMap((l) => [l.cgroup, ...Object.values(l.v1)]).map((d) => fs.promises.rmdir(d).catch(() => undefined)));
  }

  /** Take every kept leaf of a slot out of the pool. */
  drop(slot: string): Leaf[] {
    const list = this.idle.get(slot) ?? [];
    this.idle.delete(slot);
    return list.map((e) => e.leaf);
  }

  /** Forget every kept leaf (the home closes and removes its subtree itself). */
  clear(): void {
    this.idle.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}


/**
 * The containment of one home: cgroups when this host lets the daemon have them, process
 * groups otherwise. The daemon makes one (`Containment.open`) and hands it to what starts
 * processes; `Containment.none()` is process groups alone, with no home to find escapees by.
 */
export class Containment {
  private readonly host: CgroupHost | undefined;
  private readonly reason: string | undefined;
  /** The home's shared walks of /proc (process-group boxes). */
  readonly scanner = new EnvScanner();
  /** Cgroup leaves kept per slot between processes (`take`). */
  private readonly leaves = new LeafPool();

  private constructor(readonly home: string | undefined, env: NodeJS.ProcessEnv) {
    const probe = home ? probeCgroups(home, env) : { reason: 'no home' };
    this.host = probe.host;
    this.reason = probe.reason;
  }

  /** The containment of a home: probes cgroups and makes the home's subtree. */
  static open(home: string, env: NodeJS.ProcessEnv = process.env): Containment {
    return new Containment(home, env);
  }

  /** Process groups only, no environment search (tests and tools without a home). */
  static none(): Containment {
    return new Containment(undefined, {});
  }

  get mode(): 'cgroup' | 'pgroup' {
    return this.host ? 'cgroup' : 'pgroup';
  }

  info(): ContainmentInfo {
    if (!this.host) {
      return {
        mode: 'pgroup',
        description: `process groups (no cgroup delegation: see docs/running.md; ${this.reason ?? 'unavailable'})`,
        summary: 'no cgroups: process groups contain the tasks; limits are not enforced (`status --verbose` says why)',
      };
    }
    const where = (c: ControllerName) => (this.host!.v2Controllers.includes(c) ? `${c}` : this.host!.v1Bases[c] ? `${c} (v1)` : undefined);
    const limits = (['memory', 'cpu', 'pids'] as const).map(where).filter(Boolean);
    return {
      mode: 'cgroup',
      description: `cgroup v2 (${this.host.v2Base}; limits: ${limits.length ? limits.join(', ') : 'none available'})`,
      summary: containmentSummary(this.host),
    };
  }

  /**
   * A box for one instance or run, made now and removed at its release. Never throws: a
   * cgroup that cannot be made falls back to the process group.
   */
  open(id: Omit<BoxIdentity, 'home'>, limits?: TaskLimits): Box {
    if (this.host) {
      try {
        return new CgroupBox(this.host, makeLeaf(this.host, leafName({ ...id, home: this.home! })), limits);
      } catch {
        /* fall back below */
      }
    }
    return this.groupBox(id, limits);
  }

  /**
   * A box for one instance or run on the start path (DESIGN.md "The hot path"): its slot's
   * kept leaf when there is one (no mkdir), else a new leaf made off the loop; at its release
   * the leaf, empty, is kept for the slot's next process instead of removed. Never rejects:
   * a cgroup that cannot be made falls back to the process group.
   */
  async take(id: Omit<BoxIdentity, 'home'>, limits?: TaskLimits): Promise<Box> {
    const host = this.host;
    if (host) {
      const slot = id.runId !== undefined ? `${id.task}.r` : leafName({ ...id, home: this.home! });
      try {
        let kept = this.leaves.take(slot);
        // A kept leaf removed under the daemon (by hand, a cleanup tool) is made again, not joined.
        while (kept && !leafIntact(kept)) {
          for (const dir of [kept.cgroup, ...Object.values(kept.v1)]) removeDir(dir); // what is left of it
          kept = this.leaves.take(slot);
        }
        const leaf = kept ?? await makeLeafAsync(host, id.runId !== undefined ? this.leaves.runLeafName(id.task) : slot, limits);
        return new CgroupBox(host, leaf, limits, (l) => this.leaves.put(slot, l));
      } catch {
        /* fall back below */
      }
    }
    return this.groupBox(id, limits);
  }

  /**
   * The slot will not start again soon (an instance stopped, exited or fatal): its kept leaf
   * goes now, so a stopped home holds no empty leaf. Off the hot path (a stop, not a start).
   */
  dropLeaf(id: Omit<BoxIdentity, 'home'>): void {
    if (!this.host) return;
    const slot = id.runId !== undefined ? `${id.task}.r` : leafName({ ...id, home: this.home! });
    for (const leaf of this.leaves.drop(slot)) for (const dir of [leaf.cgroup, ...Object.values(leaf.v1)]) removeDir(dir);
  }

  /** Remove the kept leaves unused for `idleMs` now (tests; the pool does it by itself every 30 s). */
  expireLeaves(idleMs: number): Promise<void> {
    return this.leaves.expire(Date.now(), idleMs);
  }

  private groupBox(id: Omit<BoxIdentity, 'home'>, limits: TaskLimits | undefined): Box {
    const box = new ProcessGroupBox(this.scanner, { ...id, ...(this.home !== undefined ? { home: this.home } : {}) });
    if (limits && Object.keys(limits).length) {
      box.notes.push(`limits are not in force: ${this.info().description}`);
    }
    return box;
  }

  /**
   * At daemon start: kill whatever is left in this home's boxes (a previous daemon's
   * children, `setsid` grandchildren included) and remove the leftover cgroups.
   */
  async sweep(graceMs = 2000): Promise<SweptBox[]> {
    if (!this.home) return [];
    const found: SweptBox[] = [];
    if (this.host) {
      const leaves = listDirs(this.host.v2Base);
      for (const name of leaves) {
        const dir = path.join(this.host.v2Base, name);
        const pids = groupProcs(dir);
        if (pids.length) found.push({ name, task: name.slice(0, name.lastIndexOf('.')), pids });
        writeControl(path.join(dir, 'cgroup.kill'), '1');
      }
      const deadline = Date.now() + graceMs + 1000;
      for (const name of leaves) {
        const dir = path.join(this.host.v2Base, name);
        while (groupProcs(dir).length && Date.now() < deadline) await sleep(20);
        removeDir(dir);
      }
      // A process that left its v2 group is still in its v1 leaves (hybrid host): those go too.
      for (const base of Object.values(this.host.v1Bases)) {
        for (const name of listDirs(base)) {
          const dir = path.join(base, name);
          const pids = groupProcs(dir);
          if (pids.length) found.push({ name, task: name.slice(0, name.lastIndexOf('.')), pids });
          killPids(pids, 'SIGKILL');
          while (groupProcs(dir).length && Date.now() < deadline) await sleep(20);
          removeDir(dir);
        }
      }
    }
    // Either way, any process of this home's tasks still alive outside a cgroup (started by a
    // daemon that ran without them) goes too.
    const marks = [`\0JOBCTL_HOME=${this.home}\0`, '\0JOBCTL_TASK='];
    let strays = processesWithEnv(marks);
    if (strays.length) {
      found.push({ name: 'environment', pids: strays });
      killPids(strays, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while ((strays = processesWithEnv(marks)).length && Date.now() < deadline) await sleep(50);
      killPids(strays, 'SIGKILL');
    }
    return found;
  }

  /** The home's subtrees this daemon writes: the v2 one and one per v1 hierarchy (recorded for the prune). */
  subtrees(): string[] {
    return this.host ? [this.host.v2Base, ...Object.values(this.host.v1Bases)] : [];
  }

  /** Remove this home's (empty) subtree, kept leaves included. Safe to call twice. */
  close(): void {
    this.leaves.clear();
    if (!this.host) return;
    for (const base of [this.host.v2Base, ...Object.values(this.host.v1Bases)]) {
      for (const name of listDirs(base)) removeDir(path.join(base, name));
      removeDir(base);
    }
  }
}

let none: Containment | undefined;
/** The one process-groups-alone containment, for starters given none (tests, tools). */
export function noContainment(): Containment {
  return (none ??= Containment.none());
}

function listDirs(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}
