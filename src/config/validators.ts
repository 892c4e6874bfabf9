import fs from 'node:fs';
import { isValidTimeZone, scheduleError, timeZones } from '../shared/cron.js';
import { NAME_HINT, isValidTaskName } from '../shared/names.js';
import type { TaskSpec } from '../shared/types.js';
import { CRON_ONLY_KEYS, SERVICE_ONLY_KEYS, isRunTask } from './schema.js';
import { didYouMean } from '../shared/suggest.js';
import { parseDuration } from './units.js';
import type { KeyProblem } from './zod-issues.js';


/** What a per-task validator sees. */
export interface TaskCheck {
  name: string;
  /** The keys written in the task itself (not inherited from `defaults:`). */
  own: Record<string, unknown>;
  /** The task with its file's `defaults:` applied, before the schema. */
  merged: Record<string, unknown>;
  /** The normalized task, when the schema accepted it. */
  spec?: TaskSpec;
}

export type TaskValidator = (t: TaskCheck) => KeyProblem[];

const problem = (path: Array<string | number>, message: string, atKey = false): KeyProblem => ({ path, atKey, message });

export const validateName: TaskValidator = ({ name }) =>
  isValidTaskName(name) ? [] : [problem([], `invalid task name "${name}": ${NAME_HINT}`, true)];

/** `instances` on a cron task or `timeout` on a service task is a mistake worth saying plainly. */
export const validateKindKeys: TaskValidator = ({ own }) => {
  const isCron = isRunTask(own);
  const misplaced: readonly string[] = isCron ? SERVICE_ONLY_KEYS : CRON_ONLY_KEYS;
  return Object.keys(own)
    .filter((k) => misplaced.includes(k))
    .map((k) =>
      problem([k], !isCron
        ? `"${k}" is only for cron tasks (tasks with a schedule); add a "schedule" or remove "${k}"`
        : own.schedule !== undefined
          ? `"${k}" is only for service tasks (tasks without a schedule); remove it or remove "schedule"`
          : `"${k}" is only for service tasks; a task with xxljob runs like a cron task (one run per trigger); remove "${k}" or "xxljob"`, true),
    );
};

export const validateSchedule: TaskValidator = ({ merged }) => {
  const { schedule, timezone } = merged;
  if (typeof schedule !== 'string' || schedule.trim() === '') return [];
  // The zone is checked on its own; a bad one must not make the expression look wrong.
  const zone = typeof timezone === 'string' && isValidTimeZone(timezone) ? timezone : undefined;
  const err = scheduleError(schedule, zone);
  return err ? [problem(['schedule'], `schedule: invalid expression "${schedule}": ${err}`)] : [];
};

export const validateTimezone: TaskValidator = ({ merged }) => {
  const { timezone } = merged;
  if (typeof timezone !== 'string' || isValidTimeZone(timezone)) return [];
  return [problem(['timezone'], `timezone: unknown zone "${timezone}"${didYouMean(timezone, timeZones())}; use an IANA name such as Europe/Berlin or UTC`)];
};

export const validatePaths: TaskValidator = ({ spec }) => {
  if (!spec) return [];
  const out: KeyProblem[] = [];
  const stat = (p: string) => {
    try {
      return fs.statSync(p);
    } catch {
      return undefined;
    }
  };
  const cwd = stat(spec.cwd);
  if (!cwd) out.push(problem(['cwd'], `cwd: directory ${spec.cwd} does not exist`));
  else if (!cwd.isDirectory()) out.push(problem(['cwd'], `cwd: ${spec.cwd} is not a directory`));
  if (spec.envFile && !stat(spec.envFile)?.isFile()) out.push(problem(['env_file'], `env_file: file ${spec.envFile} does not exist`));
  return out;
};

export const validateRanges: TaskValidator = ({ spec }) => {
  if (spec?.kind !== 'service') return [];
  const out: KeyProblem[] = [];
  if (spec.backoff.initialMs > spec.backoff.maxMs) {
    out.push(problem(['backoff', 'initial'], 'backoff.initial: must not be larger than backoff.max'));
  }
  if (spec.scale && spec.scale.min > spec.scale.max) {
    out.push(problem(['scale', 'min'], `scale.min: ${spec.scale.min} is larger than scale.max ${spec.scale.max}`));
  }
  return out;
};

/** `health:` names exactly one probe, and its timings are usable. */
export const validateHealth: TaskValidator = ({ merged }) => {
  const h = merged.health;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return [];
  const raw = h as Record<string, unknown>;
  const probes = (['command', 'http', 'tcp'] as const).filter((k) => raw[k] !== undefined);
  const out: KeyProblem[] = [];
  if (probes.length === 0) out.push(problem(['health'], 'health: give one probe: command, http or tcp'));
  else if (probes.length > 1) out.push(problem(['health', probes[1]!], `health: give one probe, not ${probes.join(' and ')}; split them or keep one`, true));
  for (const key of ['interval', 'timeout'] as const) {
    if (raw[key] !== undefined && parseDuration(raw[key]) === 0) out.push(problem(['health', key], `health.${key}: must be longer than 0`));
  }
  return out;
};

/** Run in this order for every task; cross-file checks live in load.ts. */
export const TASK_VALIDATORS: readonly TaskValidator[] = [
  validateName,
  validateKindKeys,
  validateSchedule,
  validateTimezone,
  validatePaths,
  validateRanges,
  validateHealth,
];
