import { useEffect, useState } from 'react';
import type { TaskStatus } from '../../shared/protocol.js';
import { taskKey } from '../backend.js';

export interface TaskMessage {
  text: string;
  error: boolean;
  /** The task the message is about (its key). */
  task?: string;
  /** The message is over (stale) once this holds for the task, or the task is gone. */
  over?: (t: TaskStatus) => boolean;
  /** The message says the task is gone (removed, its host lost): it is over once the task is back. */
  gone?: true;
  /** The text from the task's present state (a roll's progress); undefined keeps `text`. */
  live?: (t: TaskStatus) => string | undefined;
}

/**
 * The footer's message of the last action. A message about a task goes away when what it
 * says is over: `worker: stopping` once the worker is in another state, `rolling restart
 * started` once the roll has ended, so an old line never reads as the present.
 */
export function useTaskMessage(tasks: readonly TaskStatus[]): [TaskMessage | undefined, (m: TaskMessage | undefined) => void] {
  const [message, setMessage] = useState<TaskMessage | undefined>();
  useEffect(() => {
    if (!message?.task || !(message.over || message.gone)) return;
    const t = tasks.find((x) => taskKey(x) === message.task);
    if (message.gone ? t !== undefined : !t || message.over?.(t)) setMessage(undefined);
  }, [tasks, message]);
  const t = message?.live ? tasks.find((x) => taskKey(x) === message.task) : undefined;
  const text = t && message?.live?.(t);
  return [message && text ? { ...message, text } : message, setMessage];
}

/**
 * Over once the task is in a state that is neither the one it was in when the action was
 * asked (`before`) nor the one the action reported: `stopping` is over at `stopped`.
 */
export const moved = (before: string | undefined, reported: string) => (t: TaskStatus) => t.state !== before && t.state !== reported;

/** Over once a roll that started at or after `since` has ended. */
export const rollEnded = (since: number) => (t: TaskStatus) => t.rolling !== undefined && t.rolling.state !== 'running' && t.rolling.startedAt >= since;
