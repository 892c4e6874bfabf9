import fs from 'node:fs';
import { readSmall } from './small-file.js';

/**
 * Reading Linux's /proc: process start times (so a reused pid is never mistaken for ours),
 * process-group members, and their memory and CPU. Every function tolerates a process that
 * vanishes mid-read.
 */

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** One-letter state: R, S, D, Z, T… */
  state: string;
  /** Start time in clock ticks since boot: with the pid, identifies a process for good. */
  startTime: number;
  /** User + system CPU time in clock ticks. */
  cpuTicks: number;
  /**
   * Resident set size in bytes as /proc/<pid>/stat has it: the kernel's approximate counter
   * (off by up to a few hundred KB per process on recent kernels). MEM figures use
   * `residentBytes` (statm, exact, what `ps` shows) instead.
   */
  rss: number;
}

export const HAS_PROC = fs.existsSync('/proc/self/stat');
/** USER_HZ; 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS = 100;
let pageSize: number | undefined;

function detectPageSize(): number {
  // Compare the pages in /proc/self/stat with the kB in /proc/self/status.
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    const pages = Number(fs.readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
    if (kb > 0 && pages > 0) {
      const ratio = (kb * 1024) / pages;
      for (const size of [4096, 16384, 65536]) if (Math.abs(ratio - size) / size < 0.2) return size;
    }
  } catch {
    /* fall through */
  }
  return 4096;
}

export function parseStat(text: string): ProcStat | undefined {
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field N is f[N - 3].
  pageSize ??= detectPageSize();
  return {
    pid,
    state: f[0] ?? '?',
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTime: Number(f[19]),
    rss: Number(f[21]) * pageSize,
  };
}

export function readStat(pid: number): ProcStat | undefined {
  const text = readSmall(`/proc/${pid}/stat`);
  return text ? parseStat(text) : undefined;
}

/**
 * Resident memory of a process in bytes, as `ps -o rss`, top and /proc/<pid>/status VmRSS
 * show it: /proc/<pid>/statm's second field (exact; /proc/<pid>/stat's rss is the kernel's
 * approximate counter, up to a few hundred KB off per process on recent kernels). 0 for a
 * zombie or a process gone.
 */
export function residentBytes(pid: number): number {
  const text = readSmall(`/proc/${pid}/statm`);
  if (!text) return 0;
  const from = text.indexOf(' ') + 1;
  const to = text.indexOf(' ', from);
  const pages = Number(text.slice(from, to < 0 ? undefined : to));
  pageSize ??= detectPageSize();
  return Number.isFinite(pages) ? pages * pageSize : 0;
}

/** Every live process on the host (one read of /proc). */
export function listProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of procPids()) {
    const s = readStat(pid);
    if (s) out.push(s);
  }
  return out;
}

/** The pids in /proc now (none without it). */
export function procPids(): number[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number, all: ProcStat[] = listProcesses()): ProcStat[] {
  return all.filter((p) => p.pgrp === pgid && p.state !== 'Z' && p.state !== 'X');
}

/** Whether any process is in the group: one kill(0) first, /proc only when that says yes. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // kill(0) also succeeds for zombies waiting for their parent to reap them.
  return HAS_PROC ? groupMembers(pgid).length > 0 : true;
}

/**
 * The live members of a process group found by walking down from its leader
 * (`/proc/<pid>/task/<tid>/children`): reads in proportion to the group, not to the host.
 * Members that left the leader's tree (reparented to init) are not found; a full
 * `listProcesses()` scan finds them.
 */
export function groupTree(pgid: number): ProcStat[] {
  const out: ProcStat[] = [];
  const seen = new Set<number>();
  const stack = [pgid];
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const s = readStat(pid);
    if (!s || s.pgrp !== pgid || s.state === 'Z' || s.state === 'X') continue;
    out.push(s);
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        for (const c of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (c) stack.push(Number(c));
      } catch {
        /* gone */
      }
    }
  }
  return out;
}

