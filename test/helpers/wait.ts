import { groupMembers, listProcesses } from '../../src/runtime/proc.js';

/**
 * The least a wait is given, whatever a test asks: a deadline only decides how long a broken
 * test takes to fail, never whether a working one passes, and on a loaded machine (two CPU
 * hogs beside the suite) a few seconds are not enough for a daemon to start or a cron to fire.
 * A test that needs a bound on time asserts it itself, generously, or belongs in bench/.
 */
export const MIN_WAIT_MS = 20_000;

/** Poll until cond() is truthy; throws with `what` after timeoutMs (at least MIN_WAIT_MS). */
export async function waitFor<T>(cond: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  timeoutMs = Math.max(timeoutMs, MIN_WAIT_MS);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Live pids of a process group, from /proc. */
export function livePids(pgid: number): number[] {
  return groupMembers(pgid, listProcesses()).map((p) => p.pid);
}

/** Kill a group for good (test cleanup), ignoring errors. */
export function killGroup(pgid: number | undefined): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
