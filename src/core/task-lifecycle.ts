/**
 * One task's life as a pure machine (DESIGN.md "Controller: one owner per decision"), beside
 * the instance machine (a service task's processes) and the run machine (a cron task's runs):
 * whether the task is enabled, what the last command wants, whether its start is held back
 * (queued at daemon start, or waiting for its `depends_on`) and whether it is being removed.
 * The registry feeds it events and carries out its effects on the task's runner; it is the
 * only place that decides when a task starts and what state a task shows above its runner's.
 *
 * Dependencies are facts of other tasks, so the machine asks for them: a `check-dependencies`
 * effect is answered by a `dependencies` event carrying the wait reason (or none).
 */

/** Why a task that should run has not been started yet, and the words status shows. */
export interface Hold {
  why: 'queued' | 'dependencies';
  reason: string;
}

/** A user's command (socket, CLI, TUI, xxl-job trigger). */
export type TaskCommand = 'start' | 'stop' | 'restart' | 'run';

export interface TaskLife {
  /** `enabled:` of the task file. */
  enabled: boolean;
  /** What the last command (or enabling) wants. */
  desired: 'running' | 'stopped';
  /** Wanted running but not started yet: queued, or waiting for dependencies. */
  hold?: Hold;
  /** The task is being removed (its runner disposed): nothing starts it again. */
  disposing: boolean;
  lastCommand?: TaskCommand;
}

export type LifeEvent =
  /** Registered: start it when enabled (`add`). */
  | { type: 'add' }
  /** Registered at daemon start: it starts when `dequeue` comes; meanwhile status shows `reason`. */
  | { type: 'queue'; reason: string }
  /** The daemon's first start reached this task. */
  | { type: 'dequeue' }
  /**
   * `runs`: the runner has runs of its own (cron); else "run now" means start, without waiting for dependencies.
   * `started`: the runner is started as `depends_on: started` means it (a cron task scheduled, an instance starting or running).
   */
  | { type: 'command'; command: TaskCommand; runs?: boolean; started?: boolean }
  /** The answer to `check-dependencies`: why it must wait, or undefined (ready). */
  | { type: 'dependencies'; reason: string | undefined }
  /** The task's spec changed; `replaced`: it got a fresh runner (the old one could not take the change). */
  | { type: 'updated'; enabled: boolean; replaced: boolean }
  | { type: 'dispose' };

export type LifeEffect =
  /** Ask for the dependencies' wait reason; answer with a `dependencies` event. */
  | { type: 'check-dependencies' }
  /** Commands for the runner. */
  | { type: 'start' }
  | { type: 'restart' }
  | { type: 'stop' }
  | { type: 'run' }
  /** The command cannot be done: the task is disabled in its file (DISABLED). */
  | { type: 'refuse-disabled' }
  /** The command cannot be done: the task is being removed (NOT_FOUND). */
  | { type: 'refuse-removing' }
  /** A line for the daemon's event log. */
  | { type: 'log'; message: string }
  /** Something status shows changed (the hold). */
  | { type: 'changed' };

export interface LifeTransition {
  next: TaskLife;
  effects: LifeEffect[];
}

export function initialLife(enabled: boolean): TaskLife {
  return { enabled, desired: 'stopped', disposing: false };
}

const none = (life: TaskLife): LifeTransition => ({ next: life, effects: [] });

function withoutHold(life: TaskLife): TaskLife {
  const { hold: _hold, ...rest } = life;
  return rest;
}

/** Wanted running: start once the dependencies allow it (or wait, with the reason). */
function wantRunning(life: TaskLife): LifeTransition {
  const keep = life.hold?.why === 'dependencies' ? life : withoutHold(life);
  return { next: { ...keep, desired: 'running' }, effects: [{ type: 'check-dependencies' }] };
}

function command(life: TaskLife, cmd: TaskCommand, runs: boolean, started: boolean): LifeTransition {
  const life2 = { ...life, lastCommand: cmd };
  switch (cmd) {
    case 'start':
      if (!life.enabled) return { next: life, effects: [{ type: 'refuse-disabled' }] };
      // Already started (desired running, nothing held, its runner active): the runner's start
      // is a no-op and the dependencies are not asked again: a dependency that went down since
      // must not turn a running task into a `waiting` one (systemd: a start of an active unit
      // does nothing; depends_on orders starts, it does not stop dependents).
      if (started && life.desired === 'running' && !life.hold) return { next: life2, effects: [{ type: 'start' }] };
      return wantRunning(life2);
    case 'stop':
      return { next: { ...withoutHold(life2), desired: 'stopped' }, effects: [{ type: 'stop' }] };
    case 'restart':
      if (!life.enabled) return { next: life, effects: [{ type: 'refuse-disabled' }] };
      // Not started yet: a restart is a start (after the dependencies); else the runner restarts.
      if (life.hold) return wantRunning(life2);
      return { next: { ...life2, desired: 'running' }, effects: [{ type: 'restart' }] };
    case 'run':
      // A cron run does not change what the task wants; a run-now of a service is an explicit start.
      if (runs) return { next: life2, effects: [{ type: 'run' }] };
      if (!life.enabled) return { next: life, effects: [{ type: 'refuse-disabled' }] };
      return { next: { ...withoutHold(life2), desired: 'running' }, effects: [{ type: 'start' }, { type: 'changed' }] };
  }
}

function dependencies(life: TaskLife, reason: string | undefined): LifeTransition {
  if (life.disposing || !life.enabled || life.desired !== 'running') return none(life);
  if (reason !== undefined) {
    // Only a new reason is news: re-checking must not itself cause another check (no polling).
    if (life.hold?.why === 'dependencies' && life.hold.reason === reason) return none(life);
    return { next: { ...life, hold: { why: 'dependencies', reason } }, effects: [{ type: 'log', message: reason }, { type: 'changed' }] };
  }
  const wasWaiting = life.hold?.why === 'dependencies';
  return {
    next: withoutHold(life),
    effects: [...(wasWaiting ? [{ type: 'log', message: 'dependencies ready: starting' } as const] : []), { type: 'start' }],
  };
}

function updated(life: TaskLife, enabled: boolean, replaced: boolean): LifeTransition {
  const next = { ...life, enabled };
  // Enabled in its file: started as every start is, after its dependencies.
  if (enabled && !life.enabled) return wantRunning(next);
  // Disabled: the runner's update stops what runs; nothing is held for it any more.
  if (!enabled) return { next: { ...withoutHold(next), desired: 'stopped' }, effects: [] };
  // A fresh runner takes the task as the user left it: running (after its dependencies) or stopped.
  if (replaced && life.desired === 'running' && !life.hold) return { next, effects: [{ type: 'check-dependencies' }] };
  return none(next);
}

/** Being removed: a stop waits for the removal, a cron run is refused by its runner, nothing else starts it. */
function whileDisposing(life: TaskLife, e: LifeEvent): LifeTransition {
  if (e.type !== 'command') return none(life);
  if (e.command === 'stop') return { next: life, effects: [{ type: 'stop' }] };
  if (e.command === 'run' && e.runs) return { next: life, effects: [{ type: 'run' }] };
  return { next: life, effects: [{ type: 'refuse-removing' }] };
}

/** The one transition function of a task's life. */
export function lifeTransition(life: TaskLife, e: LifeEvent): LifeTransition {
  if (life.disposing) return whileDisposing(life, e);
  switch (e.type) {
    case 'add':
      return life.enabled ? wantRunning(life) : none(life);
    case 'queue':
      return life.enabled ? { next: { ...life, desired: 'running', hold: { why: 'queued', reason: e.reason } }, effects: [] } : none(life);
    case 'dequeue':
      return life.hold?.why === 'queued' && life.enabled ? wantRunning(life) : none(life);
    case 'command':
      return command(life, e.command, e.runs ?? false, e.started ?? false);
    case 'dependencies':
      return dependencies(life, e.reason);
    case 'updated':
      return updated(life, e.enabled, e.replaced);
    case 'dispose':
      return { next: { ...withoutHold(life), desired: 'stopped', disposing: true }, effects: [] };
  }
}

/** Why a task desired running has not started (status's `waiting`), or undefined. */
export function holdReason(life: TaskLife): string | undefined {
  return life.hold?.reason;
}

/**
 * A task's state as status shows it, decided here only: held back -> `waiting`; disabled in
 * its file -> `disabled`; else what its runner is doing (`activity`: a cron task's
 * `running | scheduled | on-demand | stopped`, a service task's most telling instance state).
 */
export function taskState<A extends string>(life: Pick<TaskLife, 'enabled' | 'hold'>, activity: A): A | 'waiting' | 'disabled' {
  if (life.hold) return 'waiting';
  if (!life.enabled) return 'disabled';
  return activity;
}
