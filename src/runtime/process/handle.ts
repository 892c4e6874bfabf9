import type { TaskLimits } from '../../shared/types.js';
import type { Clock } from '../clock.js';
import type { BoxIdentity, Box, Containment } from './contain.js';
import { settleExit, type Settled, type SettleOptions } from './settle.js';
import { spawnProcess, type SpawnedProcess, type SpawnRequest } from './start.js';

/**
 * One supervised process, whatever started it (a service instance, a cron run, a health or
 * scale probe): started (start.ts) inside its box (contain.ts), stopped gracefully then
 * killed (stop), and settled after its exit (settle.ts). The box's identity is also the
 * process's JOBCTL_* environment, so a process-group box can find what left the group.
 */
export interface ProcessHandle extends SpawnedProcess {
  readonly box: Box;
  /** A signal to the whole box; false when nothing of it could be seen at once. */
  signal(sig: NodeJS.Signals): boolean;
  /** SIGKILL to everything in the box. */
  kill(): void;
  /**
   * `sig` now, SIGKILL to the box after `graceMs` unless it ended first (`onKill` says so
   * just before). Once: a second call while stopping changes nothing.
   */
  stop(sig: NodeJS.Signals, graceMs: number, onKill?: () => void): void;
  /** A stop is under way. */
  readonly stopping: boolean;
  /** After the exit: clear what is left, drain the output, release the box; the kill timer goes. */
  settle(captured: Promise<void>, o: Omit<SettleOptions, 'stopping'> & { stopping?: boolean }): Promise<Settled>;
}

export interface StartOptions {
  containment: Containment;
  /** Who the process is: its box and its JOBCTL_TASK / JOBCTL_INSTANCE / JOBCTL_RUN_ID. */
  id: Omit<BoxIdentity, 'home'>;
  limits?: TaskLimits;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Each note of the box (a limit not in force), before the start. */
  onNote?: (note: string) => void;
}

/** The JOBCTL_* variables of a box's identity. */
export function identityEnv(home: string | undefined, id: Omit<BoxIdentity, 'home'>): Record<string, string> {
  return {
    ...(home !== undefined ? { JOBCTL_HOME: home } : {}),
    JOBCTL_TASK: id.task,
    ...(id.runId !== undefined ? { JOBCTL_RUN_ID: id.runId } : id.instance !== undefined ? { JOBCTL_INSTANCE: String(id.instance) } : {}),
  };
}

/**
 * Open the box, start the process in it and attach them. Resolves once the process has a pid
 * (the native spawner starts it on another thread); rejects with a JobctlError when it cannot
 * start, and the box is released then. A caller that must stop it meanwhile stops the handle
 * it gets (the process is in its box by then: nothing of it is left outside).
 */
export async function startProcess(req: SpawnRequest, o: StartOptions): Promise<ProcessHandle> {
  const box = await o.containment.take(o.id, o.limits);
  let proc: SpawnedProcess;
  try {
    for (const note of box.notes) o.onNote?.(note);
    proc = await spawnProcess({
      ...req,
      env: { ...req.env, ...identityEnv(o.containment.home, o.id) },
      ...(box.joinFiles.length ? { joinCgroups: box.joinFiles } : {}),
    });
  } catch (e) {
    box.release();
    throw e;
  }
  box.attach(proc.pgid);
  let killTimer: unknown;
  let stopping = false;
  return {
    ...proc,
    box,
    get stopping() {
      return stopping;
    },
    signal: (sig) => box.signal(sig),
    kill: () => box.kill(),
    stop(sig, graceMs, onKill) {
      if (stopping) return;
      stopping = true;
      box.signal(sig);
      killTimer = o.clock.setTimeout(() => {
        killTimer = undefined;
        onKill?.();
        box.kill();
      }, graceMs);
    },
    async settle(captured, s) {
      try {
        return await settleExit(proc, box, captured, { ...s, stopping: s.stopping ?? stopping });
      } finally {
        if (killTimer !== undefined) o.clock.clearTimeout(killTimer);
        killTimer = undefined;
      }
    },
  };
}
