import type { OverlapPolicy } from '../../shared/types.js';
import { MESSAGES, type TriggerParam } from './wire.js';

/**
 * What a `/run` from the admin becomes on this host, decided without I/O: which task, with
 * which overlap, timeout, environment and arguments; or why it is refused.
 */

/** What ties a run to the admin's log record. */
export interface XxlRunTag {
  jobId: number;
  /** The admin's log id (shown in its run log). */
  logId: number;
  /** The admin's log time (epoch ms), sent back in the callback. */
  logDateTime: number;
}

/** A task that opted in with `xxljob: {handler, glue}`. */
export interface HandlerTask {
  task: string;
  handler: string;
  glue: boolean;
  enabled: boolean;
}

/** Per-run options a trigger from the admin carries into the cron runner. */
export interface XxlRunOptions {
  /**
   * Overlap for this run: always `allow`. Block strategies act per admin jobId in the
   * executor (xxljob/core/job-threads.ts), not on the task, so runs of different jobs sharing
   * a handler go side by side.
   */
  overlap: OverlapPolicy;
  /** `executorTimeout` when > 0; otherwise the task's own `timeout`. */
  timeoutMs?: number;
  /** Added to the task's environment for this run. */
  env: Record<string, string>;
  /** Appended to the command (list: argv; string: `$1`… of `sh -c`). */
  args: string[];
  tag: XxlRunTag;
  /** A GLUE run: the source to write to a file and the interpreter that runs it (instead of the task's command). */
  glue?: GlueScript;
  /** Replaces the task's command for this run (set once the GLUE file is written). */
  command?: string[];
  /** Params too large for an argument or a variable, or with a NUL: the executor writes them to a file named in JOBCTL_PARAMS_FILE. */
  largeParams?: string;
}

export interface GlueScript {
  interpreter: string;
  /** File extension, with the dot. */
  ext: string;
  source: string;
  /** The admin's version of the source (glueUpdatetime). */
  version: number;
}

/** How each GLUE type runs on this host; GLUE_GROOVY needs a JVM and is not supported. */
export const GLUE_INTERPRETERS: Record<string, { interpreter: string; ext: string }> = {
  GLUE_SHELL: { interpreter: 'bash', ext: '.sh' },
  GLUE_PYTHON: { interpreter: 'python3', ext: '.py' },
  GLUE_PHP: { interpreter: 'php', ext: '.php' },
  GLUE_NODEJS: { interpreter: 'node', ext: '.js' },
  GLUE_POWERSHELL: { interpreter: 'pwsh', ext: '.ps1' },
};

export type TriggerPlan =
  | { ok: true; task: string; handlerKey: string; options: XxlRunOptions }
  | { ok: false; msg: string };

/**
 * Largest executorParams passed as an argument and as JOBCTL_PARAMS, in bytes: Linux caps one
 * argument or variable at 128 KiB (MAX_ARG_STRLEN), so larger params (and params with a NUL
 * byte, which no argument can hold) go in a file instead (JOBCTL_PARAMS_FILE) and the argument
 * is empty.
 */
export const MAX_INLINE_PARAMS = 128 * 1024 - 1024;

export function isGlue(glueType: string): boolean {
  return glueType !== '' && glueType !== 'BEAN';
}

/** The task a trigger names: by `executorHandler`; a GLUE trigger without one goes to the only task with `glue: true`. */
export function findHandlerTask(param: Pick<TriggerParam, 'executorHandler' | 'glueType'>, tasks: readonly HandlerTask[]): HandlerTask | { error: string } {
  const byName = tasks.find((t) => t.handler === param.executorHandler);
  if (byName) return byName;
  if (isGlue(param.glueType) && param.executorHandler === '') {
    const glue = tasks.filter((t) => t.glue);
    if (glue.length === 1) return glue[0]!;
    if (glue.length > 1) return { error: `GLUE job without a handler, and ${glue.length} tasks allow GLUE (${glue.map((t) => t.task).join(', ')}); route GLUE jobs to their own executor (AppName) whose host has one task with glue: true` };
    return { error: `${param.glueType} refused: no task on this executor allows GLUE code (xxljob: {glue: true}); use a BEAN job with a handler name instead` };
  }
  return { error: MESSAGES.handlerNotFound(param.executorHandler) };
}

/** Decide a trigger. `active` says whether this logId is already queued or running here. */
export function planTrigger(param: TriggerParam, tasks: readonly HandlerTask[], active: (logId: number) => boolean): TriggerPlan {
  const found = findHandlerTask(param, tasks);
  if ('error' in found) return { ok: false, msg: found.error };
  if (isGlue(param.glueType) && !found.glue) {
    return { ok: false, msg: `${param.glueType} refused: task "${found.task}" does not run code sent by the admin; set xxljob: {glue: true} on it to allow it, or make the job a BEAN job` };
  }
  let glue: GlueScript | undefined;
  if (isGlue(param.glueType)) {
    const how = GLUE_INTERPRETERS[param.glueType];
    if (!how) return { ok: false, msg: `glueType[${param.glueType}] is not supported by jobctl (it runs ${Object.keys(GLUE_INTERPRETERS).join(', ')} and BEAN handlers)` };
    if (param.glueSource.trim() === '') return { ok: false, msg: `${param.glueType} job without source code` };
    glue = { ...how, source: param.glueSource, version: param.glueUpdatetime ?? 0 };
  }
  if (!found.enabled) return { ok: false, msg: `task "${found.task}" is disabled on this executor (enabled: false)` };
  if (active(param.logId)) return { ok: false, msg: MESSAGES.repeatedLogId(param.logId) };
  // A NUL ends a C string: as an argument or variable the params would arrive cut there.
  const inline = Buffer.byteLength(param.executorParams, 'utf8') <= MAX_INLINE_PARAMS && !param.executorParams.includes('\0');
  const params = inline ? param.executorParams : '';
  const env: Record<string, string> = {
    JOBCTL_PARAMS: params,
    JOBCTL_SHARD_INDEX: String(param.broadcastIndex),
    JOBCTL_SHARD_TOTAL: String(param.broadcastTotal),
    JOBCTL_XXLJOB_JOB_ID: String(param.jobId),
    JOBCTL_XXLJOB_LOG_ID: String(param.logId),
  };
  return {
    ok: true,
    task: found.task,
    handlerKey: glue ? `${found.task}\0${param.glueType}\0${glue.version}` : found.task,
    options: {
      overlap: 'allow',
      ...(param.executorTimeout > 0 ? { timeoutMs: param.executorTimeout * 1000 } : {}),
      env,
      args: glue ? glueArgs(params, param) : params === '' ? [] : [params],
      tag: { jobId: param.jobId, logId: param.logId, logDateTime: param.logDateTime },
      ...(glue ? { glue } : {}),
      ...(inline ? {} : { largeParams: param.executorParams }),
    },
  };
}

/** A GLUE script's arguments, always three as ScriptJobHandler passes them: param ('' when none), shard index, shard total. */
function glueArgs(params: string, p: Pick<TriggerParam, 'broadcastIndex' | 'broadcastTotal'>): string[] {
  return [params, String(p.broadcastIndex), String(p.broadcastTotal)];
}
