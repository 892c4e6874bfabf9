import { groupMembers, listProcesses } from '../../src/runtime/proc.js';

/** Poll until cond() is truthy; throws with `what` after timeoutMs. */
export async function waitFor<T>(cond: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
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
