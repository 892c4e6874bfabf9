import { describeExit } from '../core/instance-machine.js';
import { runOutcome } from '../core/cron-policy.js';
import { errorMessage } from '../shared/errors.js';
import { formatDuration } from '../shared/format.js';
import type { CronTaskSpec, RunRecord } from '../shared/types.js';
import { realClock, type Clock } from './clock.js';
import { LogSink } from './log-sink.js';
import { spawnProcess, type SpawnedProcess } from './spawn.js';
import type { StateStore } from './state-store.js';
import { settleExit } from './exit.js';
import { signalGroup } from './terminate.js';

/** What one run may change from its task's spec (a trigger from an xxl-job admin). */
export interface PerRunOptions {
  /** Replaces the task's `timeout` for this run. */
  timeoutMs?: number;
  /** Added to the task's environment. */
  env?: Record<string, string>;
  /** Appended to the command (see SpawnRequest.args). */
  args?: string[];
  /** Replaces the task's command (a GLUE script from an xxl-job admin). */
  command?: string[];
}

export interface RunContext {
  logPath: string;
  perRun?: PerRunOptions;
  store?: StateStore;
  clock?: Clock;
  baseEnv?: Record<string, string>;
  /** Called with the sink as soon as it exists, so followers can attach. */
  onSink?: (sink: LogSink) => void;
}

/** A run under way. */
export interface RunHandle {
  readonly record: RunRecord;
  /** Resolves with the final record. */
  readonly done: Promise<RunRecord>;
  readonly sink: LogSink;
  /** Stop it (stop_signal, then SIGKILL after stop_timeout); the run ends as `killed`. */
  kill(reason: string): void;
  /** Send a signal to its process group now. */
  signal(sig: NodeJS.Signals): boolean;
}

/**
 * One cron run, start to end: spawned like a daemon instance (own group, pdeathsig, env,
 * cwd, user) with JOBCTL_RUN_ID, output to its own log, `timeout` enforced on the group.
 * `record` is mutated in place as the run progresses.
 */
export function startRun(taskSpec: CronTaskSpec, record: RunRecord, ctx: RunContext): RunHandle {
  const perRun = ctx.perRun ?? {};
  const spec: CronTaskSpec = {
    ...taskSpec,
    ...(perRun.timeoutMs !== undefined ? { timeoutMs: perRun.timeoutMs } : {}),
    ...(perRun.command ? { command: perRun.command } : {}),
  };
  const clock = ctx.clock ?? realClock;
  const sink = new LogSink({ path: ctx.logPath, logs: spec.logs });
  ctx.onSink?.(sink);
  record.state = 'running';
  record.startedAt = clock.now();
  let proc: SpawnedProcess | undefined;
  let timedOut = false;
  let killed = false;
  let stopTimer: unknown;
  let killTimer: unknown;
  const key = `${spec.name}/run/${record.id}`;

  const terminate = () => {
    if (!proc || killTimer !== undefined) return;
    signalGroup(proc.pgid, spec.stopSignal);
    killTimer = clock.setTimeout(() => {
      sink.note(`stop_timeout (${spec.stopTimeoutMs}ms) passed: SIGKILL to the process group`);
      if (proc) signalGroup(proc.pgid, 'SIGKILL');
    }, spec.stopTimeoutMs);
  };

  const finish = async (end: { code: number | null; signal: string | null }, message?: string): Promise<RunRecord> => {
    if (stopTimer !== undefined) clock.clearTimeout(stopTimer);
    const state = message !== undefined && !proc ? 'failed' : runOutcome({ ...end, timedOut, killed });
    let why = message ?? record.message;
    if (message === undefined && state === 'timed-out') why = `timed out after ${formatDuration(spec.timeoutMs ?? 0)}`;
    else if (message === undefined && state === 'failed') why = describeExit(end);
    sink.note(`${state}${why ? `: ${why}` : ''}`);
    await sink.close();
    // Published in one step, once the log is complete.
    Object.assign(record, { endedAt: clock.now(), exitCode: end.code, signal: end.signal, state, ...(why !== undefined ? { message: why } : {}) });
    return record;
  };

  let done: Promise<RunRecord>;
  sink.note(`run ${record.id} (${record.trigger}${record.attempt > 1 ? `, attempt ${record.attempt}` : ''})`);
  try {
    proc = spawnProcess({
      command: spec.command,
      cwd: spec.cwd,
      env: { ...ctx.baseEnv, ...spec.env, ...perRun.env, JOBCTL_TASK: spec.name, JOBCTL_RUN_ID: record.id },
      ...(perRun.args?.length ? { args: perRun.args } : {}),
      ...(spec.envFile ? { envFile: spec.envFile } : {}),
      ...(spec.runAs ? { runAs: spec.runAs } : {}),
    });
  } catch (e) {
    const message = `could not start: ${errorMessage(e)}`;
    done = finish({ code: null, signal: null }, message);
    return { record, done, sink, kill: () => undefined, signal: () => false };
  }

  const p = proc;
  ctx.store?.recordChild(key, spec.name, p);
  const captured = sink.attach(p);
  if (spec.timeoutMs !== undefined) {
    stopTimer = clock.setTimeout(() => {
      timedOut = true;
      sink.note(`timeout (${formatDuration(spec.timeoutMs!)}) reached: ${spec.stopSignal} to the process group`);
      terminate();
    }, spec.timeoutMs);
  }

  done = p.exit.then(async (end) => {
    await settleExit(p, captured, { stopping: timedOut || killed, stopSignal: spec.stopSignal, stopTimeoutMs: spec.stopTimeoutMs });
    if (killTimer !== undefined) clock.clearTimeout(killTimer);
    ctx.store?.forgetChild(key);
    return finish(end);
  });

  return {
    record,
    done,
    sink,
    kill: (reason: string) => {
      if (record.state !== 'running' || killed) return;
      killed = true;
      record.message = reason;
      sink.note(`killed: ${reason}`);
      terminate();
    },
    signal: (sig) => signalGroup(p.pgid, sig),
  };
}
