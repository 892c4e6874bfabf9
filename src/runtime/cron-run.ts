import type { RunEndEvent } from '../core/cron-run-machine.js';
import { errorMessage } from '../shared/errors.js';
import { formatDuration } from '../shared/format.js';
import type { CronTaskSpec, RunTrigger } from '../shared/types.js';
import { realClock, type Clock } from './clock.js';
import { LogSink } from './log-sink.js';
import type { StateStore } from './state-store.js';
import { startProcess, type ProcessHandle } from './process/handle.js';
import { noContainment, type Containment } from './process/contain.js';
import { describeExit } from '../core/instance-machine.js';

/** What a run's process needs to know of its run. */
export interface RunLaunch {
  id: string;
  trigger: RunTrigger;
  attempt: number;
  /** Extra variables for this run only (over the task's env). */
  env?: Record<string, string>;
  /** This run's timeout, when it differs from the spec's. */
  timeoutMs?: number;
  /** Appended to the command: after a list command's argv; `$1`… of a string command. */
  args?: string[];
  /** Replaces the task's command for this run (a GLUE script from an xxl-job admin). */
  command?: string[];
}

export interface RunContext {
  logPath: string;
  store?: StateStore;
  clock?: Clock;
  baseEnv?: Record<string, string>;
  /** The home's containment. @default process groups alone */
  containment?: Containment;
  /** Called with the sink as soon as it exists, so followers can attach. */
  onSink?: (sink: LogSink) => void;
}

/** A run's process under way. */
export interface RunProcess {
  /** Resolves when the process group is gone and its output is in the log. */
  readonly done: Promise<RunEndEvent>;
  /** Write the run's last line (its outcome) and close the log. */
  close(lastLine: string): Promise<void>;
  readonly sink: LogSink;
  /** Stop it gracefully: stop_signal, then SIGKILL after stop_timeout. */
  stop(reason: string): void;
  /** Send a signal to its process group now; false when there is none. */
  signal(sig: NodeJS.Signals): boolean;
}

/**
 * One cron run's process, start to end: spawned like a service instance (own group,
 * pdeathsig, env, cwd, user, its own cgroup or process-group box) with JOBCTL_RUN_ID, output
 * to its own log, `timeout` enforced on the box; an OOM kill says so in the message. It reports how the process ended; the run machine decides the run's state.
 */
export function startRunProcess(spec: CronTaskSpec, run: RunLaunch, ctx: RunContext): RunProcess {
  const clock = ctx.clock ?? realClock;
  const sink = new LogSink({ path: ctx.logPath, logs: spec.logs });
  ctx.onSink?.(sink);
  const timeoutMs = run.timeoutMs ?? spec.timeoutMs;
  /** Known once the spawner has started it; a stop before then is carried out at that moment. */
  let proc: ProcessHandle | undefined;
  let timedOut = false;
  let stopReason: string | undefined;
  let timeoutTimer: unknown;
  const key = `${spec.name}/run/${run.id}`;

  const terminate = () => {
    const p = proc;
    p?.stop(spec.stopSignal, spec.stopTimeoutMs, () => {
      sink.note(`stop_timeout (${spec.stopTimeoutMs}ms) passed: SIGKILL to ${p.box.kind === 'cgroup' ? 'the cgroup' : 'the process group'}`);
    });
  };

  const finish = (end: RunEndEvent): RunEndEvent => {
    if (timeoutTimer !== undefined) clock.clearTimeout(timeoutTimer);
    return end;
  };
  const close = async (lastLine: string) => {
    sink.note(lastLine);
    await sink.close();
  };

  sink.note(`run ${run.id} (${run.trigger}${run.attempt > 1 ? `, attempt ${run.attempt}` : ''})`);
  // The timeout counts from the hand-over: a start that takes long is part of the run.
  if (timeoutMs !== undefined) {
    timeoutTimer = clock.setTimeout(() => {
      timedOut = true;
      sink.note(`timeout (${formatDuration(timeoutMs)}) reached: ${spec.stopSignal} to the process group`);
      terminate();
    }, timeoutMs);
  }
  const started = startProcess({
    command: run.command ?? spec.command,
    cwd: spec.cwd,
    env: { ...ctx.baseEnv, ...spec.env, ...run.env },
    ...(run.args?.length ? { args: run.args } : {}),
    ...(spec.envFile ? { envFile: spec.envFile } : {}),
    ...(spec.runAs ? { runAs: spec.runAs } : {}),
  }, {
    containment: ctx.containment ?? noContainment(), id: { task: spec.name, runId: run.id },
    ...(spec.limits ? { limits: spec.limits } : {}), clock, onNote: (n) => sink.note(n),
  });

  const ended = (p: ProcessHandle) => {
    proc = p;
    ctx.store?.recordChild(key, spec.name, { ...p, ...(p.box.cgroup ? { cgroup: p.box.cgroup } : {}) });
    const captured = sink.attach(p);
    // Stopped (or timed out) while it was being started: now that it is in its box, it goes.
    if (stopReason !== undefined || timedOut) terminate();
    return p.exit.then(async (end) => {
      const { oom } = await p.settle(captured, { stopSignal: spec.stopSignal, stopTimeoutMs: spec.stopTimeoutMs });
      ctx.store?.forgetChild(key);
      const killed = stopReason !== undefined;
      const message = timedOut ? `timed out after ${formatDuration(timeoutMs ?? 0)}` : stopReason ?? (oom ? describeExit({ ...end, oom }, spec.limits?.memory) : undefined);
      return finish({ ...end, timedOut, killed, ...(message !== undefined ? { message } : {}) });
    });
  };
  const done = started.then(ended, (e: unknown) => finish({
    code: null, signal: null, timedOut: false, killed: false, spawnFailed: true, message: `could not start: ${errorMessage(e)}`,
  })).catch((e: unknown) => finish({ code: null, signal: null, timedOut, killed: stopReason !== undefined, message: `lost track of the run: ${errorMessage(e)}` }));

  return {
    done,
    close,
    sink,
    stop: (reason: string) => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      sink.note(`stopping: ${reason}`);
      terminate();
    },
    signal: (sig) => proc?.signal(sig) ?? false,
  };
}
