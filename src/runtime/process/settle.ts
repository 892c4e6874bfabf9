import type { Box } from './contain.js';
import type { SpawnedProcess } from './start.js';

export interface SettleOptions {
  /** The process was being stopped: its kill timer clears the box at stop_timeout. */
  stopping: boolean;
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  /** How long the output may take to drain once the box is empty. @default 2000 */
  drainMs?: number;
}

export interface Settled {
  /** The kernel OOM-killed a process of the box (`limits.memory`). */
  oom: boolean;
}

/**
 * The settle stage: after a supervised process's leader exited, before the exit counts, what
 * is left of its box (grandchildren, `setsid` escapees) goes too, its output drains
 * (bounded), the pipes are released and the box's cgroups removed.
 */
export async function settleExit(proc: SpawnedProcess, box: Box, captured: Promise<void>, o: SettleOptions): Promise<Settled> {
  if (o.stopping) {
    if (!(await box.waitEmpty(o.stopTimeoutMs + 2000))) {
      box.kill();
      await box.waitEmpty(1000);
    }
  } else {
    await box.clear(o.stopSignal, o.stopTimeoutMs, { outputClosed: captured });
  }
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([captured, new Promise((r) => (drainTimer = setTimeout(r, o.drainMs ?? 2000)).unref())]);
  // Output drained first (the common case): no timer left behind per exit.
  clearTimeout(drainTimer);
  proc.stdout.destroy();
  proc.stderr.destroy();
  const oom = box.releaseSettled() > 0;
  return { oom };
}
