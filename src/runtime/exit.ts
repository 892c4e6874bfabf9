import type { SpawnedProcess } from './spawn.js';
import { reapGroup, signalGroup, waitGroupGone } from './terminate.js';

export interface SettleOptions {
  /** The process was being stopped: its kill timer SIGKILLs the group at stop_timeout. */
  stopping: boolean;
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  /** How long the output may take to drain once the group is gone. @default 2000 */
  drainMs?: number;
}

/**
 * After a supervised process's leader exited, before the exit counts: what is left of its
 * group (grandchildren) goes too, its output drains (bounded: a process outside the group
 * may hold the pipe), and the pipes are released.
 */
export async function settleExit(proc: SpawnedProcess, captured: Promise<void>, o: SettleOptions): Promise<void> {
  if (o.stopping) {
    if (!(await waitGroupGone(proc.pgid, o.stopTimeoutMs + 2000))) signalGroup(proc.pgid, 'SIGKILL');
  } else {
    await reapGroup(proc.pgid, o.stopSignal, o.stopTimeoutMs);
  }
  await Promise.race([captured, new Promise((r) => setTimeout(r, o.drainMs ?? 2000).unref())]);
  proc.stdout.destroy();
  proc.stderr.destroy();
}
