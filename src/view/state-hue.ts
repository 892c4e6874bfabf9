import type { TaskState } from '../shared/protocol.js';
import type { HealthState, RunState } from '../shared/types.js';

/**
 * The one colour table of states, for the CLI table, the Ink TUI and `top`: a task's
 * state, a run's state, a health check's state. `dim` is a quieter gray (the CLI's dim;
 * terminals without it, such as Ink's color prop, draw it gray).
 */
export type Hue = 'green' | 'blue' | 'cyan' | 'yellow' | 'red' | 'gray' | 'dim';

export const STATE_HUE: Record<TaskState | RunState | HealthState, Hue> = {
  running: 'green', scheduled: 'blue', 'on-demand': 'blue', starting: 'cyan', stopping: 'cyan', backoff: 'yellow',
  fatal: 'red', exited: 'gray', stopped: 'gray', disabled: 'dim', waiting: 'yellow',
  succeeded: 'green', failed: 'red', 'timed-out': 'red', killed: 'yellow', skipped: 'gray', queued: 'cyan',
  healthy: 'green', unhealthy: 'red',
};

/** The hue of a state word, or of a task's health text (`2/3 healthy` is yellow); undefined for `-`. */
export function hueOf(word: string): Hue | undefined {
  if (word === '-' || word === '') return undefined;
  return (STATE_HUE as Record<string, Hue>)[word] ?? (/^\d+\/\d+ healthy$/.test(word) ? 'yellow' : undefined);
}
