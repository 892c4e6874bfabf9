import { JobctlError } from '../shared/errors.js';
import type { TaskStatus } from '../shared/protocol.js';
import type { TaskSpec } from '../shared/types.js';

/**
 * Commands to one runner, numbered: a command that waits (stop, restart) checks when it is
 * done whether a later one came meanwhile; then it did not get its way, and says so.
 */
export class CommandSequence {
  private n = 0;

  /** A new command; returns its number. */
  next(): number {
    return ++this.n;
  }

  /** Whether command `cmd` is still the last one. */
  isLast(cmd: number): boolean {
    return cmd === this.n;
  }

  /** Throws SUPERSEDED when a later command came after `cmd`. */
  check(cmd: number, task: string, what: string): void {
    if (!this.isLast(cmd)) {
      throw new JobctlError('SUPERSEDED', `${what} of "${task}" was overridden by a later command before it finished`, { data: { task } });
    }
  }
}

/**
 * A runner being disposed (its task removed, or replaced by one of another kind) still shows
 * until its processes are gone, but takes no command: what it started nobody would supervise.
 */
export function refuseWhileDisposing(disposing: unknown, task: string): void {
  if (disposing !== undefined) {
    throw new JobctlError('NOT_FOUND', `task "${task}" is being removed or replaced (its processes are stopping); \`jobctl status\` shows when it is back`);
  }
}

/** The fields of a task's status that come from its spec. */
export function specStatusBase(spec: TaskSpec): Pick<TaskStatus, 'name' | 'group' | 'kind' | 'enabled' | 'file'> & { description?: string } {
  return {
    name: spec.name, group: spec.group, kind: spec.kind, enabled: spec.enabled, file: spec.source.file,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
  };
}
