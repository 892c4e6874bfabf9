import type { PlanEffect } from '../shared/protocol.js';
import type { TaskSpec } from '../shared/types.js';

/**
 * Reload as a plan that is data (DESIGN.md "Controller"), pure: one table says what a change
 * of each task key does, and `planChange` turns a changed task into the steps the daemon
 * carries out, in their order. `jobctl plan` prints these steps and `reload` applies exactly
 * them (daemon/apply-delta.ts runs each step by name); nothing else decides what an edit does.
 */

/** What changing a key does to a task's processes. */
export type Consequence =
  /** Applies from the next start, run or exit without touching what runs. */
  | 'in place'
  /** Changes the process itself: a service task's running instances restart (a cron run takes it at its next start). */
  | 'restart'
  /** Needs a fresh runner: the old one stops, a new one takes the task as the user left it. */
  | 'recreate'
  /** The instance count: the scale controller applies it (and an edit ends a manual count). */
  | 'rescale';

/** Each TaskSpec key whose change does more than apply in place; every other key is `in place`. */
export const KEY_CONSEQUENCE: Readonly<Record<string, Consequence>> = {
  kind: 'recreate',
  command: 'restart',
  cwd: 'restart',
  env: 'restart',
  envFile: 'restart',
  runAs: 'restart',
  instances: 'rescale',
  scale: 'rescale',
};

export function consequenceOf(key: string): Consequence {
  return KEY_CONSEQUENCE[key] ?? 'in place';
}

/** Whether any of `keys` has this consequence. */
export function anyKey(keys: readonly string[], c: Consequence): boolean {
  return keys.some((k) => consequenceOf(k) === c);
}

/** One step of applying a changed task, carried out by name (daemon/apply-delta.ts). */
export type PlanStep = 'update' | 'recreate' | 'rescale';

/** A changed task's plan: its steps in order, and what it does to the processes in one word. */
export interface ChangePlan {
  steps: PlanStep[];
  effect: PlanEffect;
}

/**
 * The plan of one changed task: `recreate` (a fresh runner) or `update` (the runner takes the
 * spec in place; `enabled` flipping stops it, or starts it after its dependencies; process
 * keys restart a service task's instances, one at a time with `update: rolling`), then
 * `rescale`: the scale controller applies the count (`rescale` keys end a manual count).
 */
export function planChange(before: TaskSpec, after: TaskSpec, keys: readonly string[]): ChangePlan {
  const recreate = anyKey(keys, 'recreate');
  // The scale controller sees every changed spec: it alone knows whether the count moves
  // (a `rescale` key ends a manual count; a task no longer a service task is forgotten).
  return { steps: [recreate ? 'recreate' : 'update', 'rescale'], effect: effectOf(before, after, keys, recreate) };
}

function effectOf(before: TaskSpec, after: TaskSpec, keys: readonly string[], recreate: boolean): PlanEffect {
  if (recreate) return 'replace';
  if (before.enabled && !after.enabled) return 'stop';
  if (!before.enabled && after.enabled) return 'start';
  // A disabled task runs nothing: whatever changed applies when it is enabled.
  if (after.kind !== 'service' || !after.enabled) return 'in place';
  // The runner rolls by the instances it has when the edit comes (a manual or autoscaled count,
  // before `rescale` moves it), not by the file's `instances`: a roll of one is a restart.
  if (anyKey(keys, 'restart')) return after.update === 'rolling' ? 'rolling restart' : 'restart';
  // Processes are started or stopped to the new count (the scale controller's: a manual count ends).
  if (anyKey(keys, 'rescale')) return 'rescale';
  return 'in place';
}
