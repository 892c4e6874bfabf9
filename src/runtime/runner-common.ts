import { JobctlError } from '../shared/errors.js';
import type { TaskStatus } from '../shared/protocol.js';
import type { TaskSpec } from '../shared/types.js';

/** What a command wants of the task: running (start, restart, run) or stopped (stop, dispose). */
export type Intent = 'running' | 'stopped';

/**
 * Commands to one runner, numbered: a command that waits (stop, restart) checks when it is
 * done whether a later one wanting the other state came meanwhile; then it did not get its
 * way, and says so (a stop after a stop did what the first asked). Once the runner is being
 * disposed (its task removed) it takes no command that would give the task a future.
 */
export class CommandSequence {
  private n = 0;
  private lastIntent: Intent = 'stopped';
  private closed = false;

  /** A new command; returns its number. NOT_FOUND once closed: the task is being removed. */
  next(task: string, intent: Intent): number {
    this.requireOpen(task);
    this.lastIntent = intent;
    return ++this.n;
  }

  /** The last command: the runner is being disposed. Safe to call twice. */
  close(): number {
    this.closed = true;
    this.lastIntent = 'stopped';
    return ++this.n;
  }

  /** NOT_FOUND once closed (for what is not a numbered command: a run, a new count). */
  requireOpen(task: string): void {
    if (this.closed) throw new JobctlError('NOT_FOUND', `task "${task}" is being removed`);
  }

  /** Whether command `cmd`, wanting `intent`, still holds: no later command wants otherwise. */
  holds(cmd: number, intent: Intent): boolean {
    return cmd === this.n || this.lastIntent === intent;
  }

  /** Throws SUPERSEDED when a later command wanting the other state came after `cmd`. */
  check(cmd: number, intent: Intent, task: string, what: string): void {
    if (!this.holds(cmd, intent)) {
      throw new JobctlError('SUPERSEDED', `${what} of "${task}" was overridden by a later command before it finished`, { data: { task } });
    }
  }
}

/**
 * A runner being disposed (its task removed, or replaced by one of another kind) still shows
 * until its processes are gone, but takes no command: what it started nobody would supervise.
 */
export function refuseWhileDisposing(disposing: unknown, task: string): void {
  if (disposing !== undefined) throw removingError(task);
}

/** NOT_FOUND: the task is being removed (its runner disposed). */
export function removingError(task: string): JobctlError {
  return new JobctlError('NOT_FOUND', `task "${task}" is being removed or replaced (its processes are stopping); \`jobctl status\` shows when it is back`);
}

/** DISABLED: the task has `enabled: false` in its file (a runner's check and the lifecycle's refusal say it alike). */
export function disabledError(spec: TaskSpec): JobctlError {
  return new JobctlError('DISABLED', `task "${spec.name}" is disabled (enabled: false in ${spec.source.file}); enable it there first`);
}

/** The fields of a task's status that come from its spec. */
export function specStatusBase(spec: TaskSpec): Pick<TaskStatus, 'name' | 'group' | 'kind' | 'enabled' | 'file'> & { description?: string } {
  return {
    name: spec.name, group: spec.group, kind: spec.kind, enabled: spec.enabled, file: spec.source.file,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
  };
}
