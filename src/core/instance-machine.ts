import { formatBytes } from '../shared/format.js';
import { JobctlError } from '../shared/errors.js';
import type { InstanceState, SignalName } from '../shared/types.js';
import { decideAfterExit, isCleanExit, type ExitInfo, type RestartConfig } from './restart-policy.js';

/**
 * The state machine of one service-task instance (DESIGN.md "Daemon state machine"),
 * as in supervisord: states are data, one pure `transition()` decides, and returns the
 * effects for the runtime to carry out. Nothing else assigns a state.
 */

/** DESIGN.md's groups: SIGNALLABLE has a process; DOWN has none and waits for a command (or nothing). */
export const SIGNALLABLE_STATES: ReadonlySet<InstanceState> = new Set(['starting', 'running', 'stopping']);
export const DOWN_STATES: ReadonlySet<InstanceState> = new Set(['stopped', 'exited', 'fatal']);

export type TimerName = 'start' | 'backoff' | 'kill';

export interface InstanceSnapshot {
  state: InstanceState;
  /** When the current state was entered (epoch ms). */
  since: number;
  pid?: number;
  startedAt?: number;
  /** Consecutive failures; drives the backoff; reset after start_seconds of uptime. */
  failures: number;
  /** Starts in a row that ended before start_seconds; more than start_retries is fatal. */
  failedStarts: number;
  /** Automatic restarts within the restart window. */
  restartTimes: number[];
  /** All restarts since the daemon started (for status). */
  restarts: number;
  lastExit?: ExitInfo;
  /** Why the instance is in this state (spawn error, fatal, recycle). */
  message?: string;
  /** When in backoff: when the next start is due. */
  retryAt?: number;
  /** After the stop under way completes, start again (restart, recycle). */
  restartPending: boolean;
  /** A failure happened since the last good start: reaching `running` notifies `recovered`. */
  degraded: boolean;
}

export type InstanceEvent =
  | { type: 'start' }
  | { type: 'spawned'; pid: number }
  | { type: 'spawn-failed'; message: string }
  | { type: 'start-timer' }
  | { type: 'exit'; code: number | null; signal: string | null; oom?: boolean }
  | { type: 'backoff-elapsed' }
  | { type: 'stop' }
  | { type: 'restart'; reason?: string }
  | { type: 'kill-timer' };

export type NotifyKind = 'failure' | 'fatal' | 'recovered';

export type Effect =
  | { type: 'spawn' }
  | { type: 'signal'; signal: SignalName | 'SIGKILL' }
  | { type: 'arm'; timer: TimerName; delayMs: number }
  | { type: 'cancel'; timer: TimerName }
  | { type: 'notify'; event: NotifyKind; message: string };

export interface MachineConfig extends RestartConfig {
  startMs: number;
  stopSignal: SignalName;
  stopTimeoutMs: number;
  /** For the OOM message. */
  limits?: { memory?: number };
}

export interface Transition {
  next: InstanceSnapshot;
  effects: Effect[];
}

/** Which events each state accepts; anything else is an ILLEGAL_TRANSITION. */
export const ACCEPTS: Readonly<Record<InstanceState, ReadonlyArray<InstanceEvent['type']>>> = {
  stopped: ['start', 'restart', 'stop'],
  exited: ['start', 'restart', 'stop'],
  fatal: ['start', 'restart', 'stop'],
  starting: ['spawned', 'spawn-failed', 'start-timer', 'exit', 'stop', 'restart', 'start'],
  running: ['exit', 'stop', 'restart', 'start'],
  backoff: ['backoff-elapsed', 'start', 'restart', 'stop'],
  stopping: ['exit', 'kill-timer', 'stop', 'start', 'restart'],
};

export function initialSnapshot(now: number): InstanceSnapshot {
  return { state: 'stopped', since: now, failures: 0, failedStarts: 0, restartTimes: [], restarts: 0, restartPending: false, degraded: false };
}

export function transition(s: InstanceSnapshot, e: InstanceEvent, now: number, cfg: MachineConfig, random: () => number): Transition {
  if (!ACCEPTS[s.state].includes(e.type)) {
    throw new JobctlError('ILLEGAL_TRANSITION', `event "${e.type}" is not valid in state "${s.state}"`, { data: { state: s.state, event: e.type } });
  }
  const enter = (state: InstanceState, patch: Partial<InstanceSnapshot> = {}): InstanceSnapshot => {
    const next: InstanceSnapshot = { ...s, ...patch, state, since: state === s.state ? s.since : now };
    if (state !== 'backoff') delete next.retryAt;
    return next;
  };
  const starting = (patch: Partial<InstanceSnapshot> = {}): Transition => {
    const next = enter('starting', { restartPending: false, ...patch });
    delete next.pid;
    delete next.startedAt;
    return { next, effects: [{ type: 'spawn' }] };
  };

  /** start/restart from anything but starting/running. */
  const startFromIdle = (): Transition => {
    if (s.state === 'stopping') return { next: { ...s, restartPending: true }, effects: [] };
    if (s.state === 'backoff') {
      const t = starting();
      return { next: t.next, effects: [{ type: 'cancel', timer: 'backoff' }, ...t.effects] };
    }
    // A start by hand forgets past failures, as supervisord does for FATAL.
    return starting({ failures: 0, failedStarts: 0, restartTimes: [], message: undefined });
  };

  switch (e.type) {
    case 'start':
      if (s.state === 'starting' || s.state === 'running') {
        throw new JobctlError('ALREADY_RUNNING', `already ${s.state}`, { data: { state: s.state } });
      }
      return startFromIdle();

    case 'restart':
      if (s.state === 'starting' || s.state === 'running') return stopping(s, now, cfg, true, e.reason);
      return startFromIdle();

    case 'spawned':
      return {
        next: { ...s, pid: e.pid, startedAt: now, message: undefined },
        effects: [{ type: 'arm', timer: 'start', delayMs: cfg.startMs }],
      };

    case 'spawn-failed':
      return afterFailure({ ...s, message: e.message }, { code: null, signal: null, at: now }, now, cfg, random, e.message);

    case 'start-timer': {
      const effects: Effect[] = [];
      if (s.degraded) effects.push({ type: 'notify', event: 'recovered', message: 'running again' });
      return { next: enter('running', { failures: 0, failedStarts: 0, degraded: false }), effects };
    }

    case 'exit': {
      const exit: ExitInfo = { code: e.code, signal: e.signal, at: now, ...(e.oom ? { oom: true } : {}) };
      if (s.state === 'stopping') {
        const base: Partial<InstanceSnapshot> = { lastExit: exit };
        const effects: Effect[] = [{ type: 'cancel', timer: 'kill' }];
        if (s.restartPending) {
          const t = starting({ ...base, restarts: s.restarts + 1 });
          return { next: t.next, effects: [...effects, ...t.effects] };
        }
        const next = enter('stopped', base);
        delete next.pid;
        return { next, effects };
      }
      const effects: Effect[] = s.state === 'starting' ? [{ type: 'cancel', timer: 'start' }] : [];
      const t = afterFailure(s, exit, now, cfg, random, describeExit(exit, cfg.limits?.memory));
      return { next: t.next, effects: [...effects, ...t.effects] };
    }

    case 'backoff-elapsed':
      return starting({ restarts: s.restarts + 1 });

    case 'stop':
      // The last command wins: a stop after a start that was waiting for this stop cancels it.
      if (s.state === 'stopping') return { next: { ...s, restartPending: false }, effects: [] };
      if (s.state === 'backoff') {
        return { next: enter('stopped', { restartPending: false }), effects: [{ type: 'cancel', timer: 'backoff' }] };
      }
      if (s.state === 'starting' || s.state === 'running') return stopping(s, now, cfg, false);
      throw new JobctlError('NOT_RUNNING', `not running (${s.state})`, { data: { state: s.state } });

    case 'kill-timer':
      return { next: { ...s, message: `did not stop within ${cfg.stopTimeoutMs}ms: killed` }, effects: [{ type: 'signal', signal: 'SIGKILL' }] };
  }
}

function stopping(s: InstanceSnapshot, now: number, cfg: MachineConfig, restartPending: boolean, reason?: string): Transition {
  const effects: Effect[] = [];
  if (s.state === 'starting') effects.push({ type: 'cancel', timer: 'start' });
  effects.push({ type: 'signal', signal: cfg.stopSignal }, { type: 'arm', timer: 'kill', delayMs: cfg.stopTimeoutMs });
  const next: InstanceSnapshot = { ...s, state: 'stopping', since: now, restartPending };
  if (reason !== undefined) next.message = reason;
  else delete next.message;
  return { next, effects };
}

/** An unplanned end (exit while starting/running, or a failed spawn): the restart policy decides. */
function afterFailure(s: InstanceSnapshot, exit: ExitInfo, now: number, cfg: MachineConfig, random: () => number, what: string): Transition {
  const clean = isCleanExit(exit);
  const failures = s.failures + 1;
  // Ended before start_seconds (or never spawned): a failed start.
  const failedStarts = s.state === 'starting' ? s.failedStarts + 1 : 0;
  const decision = decideAfterExit(cfg, exit, failures, s.restartTimes, now, random, s.state === 'running', failedStarts);
  const base = { ...s, lastExit: exit, since: now, restartPending: false, failedStarts };
  delete base.pid;
  delete base.retryAt;
  const notifyFailure: Effect[] = clean ? [] : [{ type: 'notify', event: 'failure', message: what }];
  switch (decision.kind) {
    case 'exited':
      return { next: { ...base, state: 'exited', failures, degraded: !clean, ...(clean ? {} : { message: what }) }, effects: notifyFailure };
    case 'fatal': {
      const message = decision.why === 'window'
        ? `${what}; gave up after ${decision.restartsInWindow} restarts within ${Math.round(cfg.restartWindowMs / 1000)}s (max_restarts ${cfg.maxRestarts})`
        : `${what}; gave up after ${decision.failedStarts} failed starts in a row, none up for start_seconds (${cfg.startMs}ms) (start_retries ${cfg.startRetries})`;
      return { next: { ...base, state: 'fatal', failures, degraded: true, message }, effects: [{ type: 'notify', event: 'fatal', message }] };
    }
    case 'backoff':
      return {
        next: {
          ...base, state: 'backoff', failures, degraded: s.degraded || !clean, restartTimes: decision.restartTimes,
          retryAt: now + decision.delayMs, message: what,
        },
        effects: [...notifyFailure, { type: 'arm', timer: 'backoff', delayMs: decision.delayMs }],
      };
  }
}

export function describeExit(exit: Pick<ExitInfo, 'code' | 'signal' | 'oom'>, memoryLimit?: number): string {
  if (exit.oom) {
    const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    return `OOM-killed: a process passed limits.memory${memoryLimit !== undefined ? ` (${formatBytes(memoryLimit)})` : ''}; ${how}`;
  }
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code === null) return 'ended';
  if (exit.code === 127) return 'exited with code 127 (command not found)';
  if (exit.code === 126) return 'exited with code 126 (command not executable)';
  return `exited with code ${exit.code}`;
}
