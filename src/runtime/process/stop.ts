import { setTimeout as sleep } from 'node:timers/promises';
import { groupAlive, readStat } from '../proc.js';

/** Signalling and clearing a process group: stop and kill act on the whole group. */

let ownGroup: number | undefined;

/**
 * Whether a pid or pgid may be signalled at all: never 0 or 1 (kill(0) is the caller's own
 * group, kill(-1) everyone, pgid 0 is where kernel threads are), never this process or its
 * own process group, whatever a record on disk says.
 */
export function signallable(id: number): boolean {
  if (!Number.isSafeInteger(id) || id <= 1 || id === process.pid) return false;
  ownGroup ??= readStat(process.pid)?.pgrp ?? process.pid;
  return id !== ownGroup;
}

/** Send a signal to every process of the group; false when the group is gone or may not be signalled. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | number): boolean {
  if (!signallable(pgid)) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Wait until no live process is in the group, up to timeoutMs; true when it emptied. */
export async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
    pause = Math.min(pause * 2, 100);
  }
  return true;
}
