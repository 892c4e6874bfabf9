import { listProcesses, type ProcStat } from './proc.js';
import type { ChildRecord } from './state-store.js';
import { signalGroup, signallable, waitGroupGone } from './process/stop.js';

export interface SweptGroup {
  key: string;
  task: string;
  pgid: number;
  pids: number[];
}

/**
 * The processes of a recorded group that are still ours. The leader is ours only if its
 * /proc start time matches the record; when the pgid now leads someone else's group the
 * record is stale and nothing is touched. Members count only if they started after the
 * recorded leader did.
 */
export function survivorsOf(rec: ChildRecord, all: ProcStat[]): ProcStat[] {
  // Cannot prove it is ours: leave it (a start time of 0 would claim every leaderless group).
  if (rec.startTime === undefined || rec.startTime <= 0 || !signallable(rec.pgid)) return [];
  const leader = all.find((p) => p.pid === rec.pgid);
  if (leader && leader.startTime !== rec.startTime) return [];
  return all.filter((p) => p.pgrp === rec.pgid && p.startTime >= rec.startTime! && p.state !== 'Z');
}

/**
 * At daemon start: stop every recorded group that outlived the previous daemon (SIGTERM,
 * then SIGKILL after graceMs). Returns what was found.
 */
export async function sweepOrphans(children: Record<string, ChildRecord>, graceMs = 2000): Promise<SweptGroup[]> {
  // Nothing on record (a first start, a clean stop before): no walk of /proc.
  if (Object.keys(children).length === 0) return [];
  const all = listProcesses();
  const found: SweptGroup[] = [];
  for (const [key, rec] of Object.entries(children)) {
    const live = survivorsOf(rec, all);
    if (live.length) found.push({ key, task: rec.task, pgid: rec.pgid, pids: live.map((p) => p.pid) });
  }
  const kill = (g: SweptGroup, sig: NodeJS.Signals) => {
    if (!signalGroup(g.pgid, sig)) for (const pid of g.pids) {
      if (!signallable(pid)) continue;
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  for (const g of found) kill(g, 'SIGTERM');
  await Promise.all(found.map(async (g) => {
    if (!(await waitGroupGone(g.pgid, graceMs))) {
      kill(g, 'SIGKILL');
      await waitGroupGone(g.pgid, 1000);
    }
  }));
  return found;
}
