import type { TaskSpec } from '../shared/types.js';
import type { YamlPath } from './yaml-file.js';

/** A valid task of the directory, where it is written. */
export interface PlacedTask {
  spec: TaskSpec;
  /** Its file as messages name it. */
  file: string;
  /** The line of one of its keys (`['xxljob', 'handler']`). */
  lineOf(keyPath: YamlPath): number;
}

/** One problem a check found: the task, the key (below the task) it points at, and what to say. */
export interface CrossFileProblem {
  task: PlacedTask;
  keyPath: YamlPath;
  message: string;
}

/**
 * A check across the directory's tasks that a feature slice brings (the loader runs each after
 * its own checks; a task with a problem is not valid).
 */
export type CrossFileCheck = (tasks: readonly PlacedTask[]) => CrossFileProblem[];
