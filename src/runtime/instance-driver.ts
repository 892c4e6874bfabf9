import { EventEmitter } from 'node:events';
import {
  DOWN_STATES, SIGNALLABLE_STATES, describeExit, initialSnapshot, transition, type Effect, type InstanceEvent, type InstanceSnapshot,
  type NotifyKind, type TimerName,
} from '../core/instance-machine.js';
import { recycleReason } from '../core/recycle.js';
import { errorMessage, isJobctlError } from '../shared/errors.js';
import type { InstanceInfo } from '../shared/protocol.js';
import type { ServiceTaskSpec, InstanceState } from '../shared/types.js';
import { realClock, type Clock } from './clock.js';
import type { LogSink } from './log-sink.js';
import type { StateStore } from './state-store.js';
import { HealthMonitor } from './health-monitor.js';
import { startProcess, type ProcessHandle } from './process/handle.js';
import { instanceExits } from './process/paced-exits.js';
import { noContainment, type Containment } from './process/contain.js';

export interface InstanceMetrics {
  /** CPU of the instance's process group, percent of one core. */
  cpu?: number;
  /** RSS of the instance's process group, bytes. */
  rss?: number;
  /** CPU time of the group's live processes, seconds. */
  cpuSeconds?: number;
}

/** An instance as status shows it: the protocol's shape, so no copy is needed on the way out. */
export type InstanceStatus = InstanceInfo;

export interface InstanceNotice {
  task: string;
  instance: number;
  event: NotifyKind | 'unhealthy';
  message: string;
  exitCode?: number | null;
  signal?: string | null;
}

export interface InstanceDriverOptions {
  spec: ServiceTaskSpec;
  index: number;
  sink: LogSink;
  store?: StateStore;
  clock?: Clock;
  random?: () => number;
  /** Extra variables for every process. */
  baseEnv?: Record<string, string>;
  /** The home's containment. @default process groups alone */
  containment?: Containment;
  /** How long to wait for the output pipes after the group is gone. @default 2000 */
  drainMs?: number;
}

const TIMER_EVENTS: Record<TimerName, InstanceEvent['type']> = { start: 'start-timer', backoff: 'backoff-elapsed', kill: 'kill-timer' };

/**
 * Runs one instance of a service task: feeds events to the pure state machine and carries
 * out the effects it returns (spawn, signal, timers, notifications). It decides nothing
 * itself. Events: 'state' (InstanceStatus), 'notify' (InstanceNotice).
 */
export class InstanceDriver extends EventEmitter {
  private s: InstanceSnapshot;
  private spec: ServiceTaskSpec;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly timers = new Map<TimerName | 'lifetime', unknown>();
  private proc: ProcessHandle | undefined;
  private generation = 0;
  private metrics: InstanceMetrics = {};
  private downWaiters: Array<() => void> = [];
  private health: HealthMonitor | undefined;
  /** A start handed over whose process is not known yet, and the signal asked for meanwhile. */
  private startInFlight = false;
  private pendingSignal: NodeJS.Signals | undefined;
  /** The leader exited and its exit is not counted yet (the settle, then its paced turn). */
  private leaderExited = false;
  /** Its task is removed; its stop comes in its turn (retire()). */
  private retiring = false;

  constructor(private readonly opts: InstanceDriverOptions) {
    super();
    this.spec = opts.spec;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.s = initialSnapshot(this.clock.now());
    this.syncHealth();
  }

  /** A monitor while the spec has `health:`; probing while the process lives. */
  private syncHealth(): void {
    const spec = this.spec.health;
    if (!spec) {
      this.health?.dispose();
      this.health = undefined;
      return;
    }
    if (this.health) {
      this.health.setSpec(spec);
      return;
    }
    this.health = new HealthMonitor({
      spec, clock: this.clock,
      context: () => ({
        containment: this.containment,
        cwd: this.spec.cwd,
        env: {
          ...this.opts.baseEnv, ...this.spec.env, JOBCTL_TASK: this.spec.name, JOBCTL_INSTANCE: String(this.opts.index),
          ...(this.s.pid !== undefined ? { JOBCTL_PID: String(this.s.pid) } : {}),
        },
        ...(this.spec.envFile ? { envFile: this.spec.envFile } : {}),
        ...(this.spec.runAs ? { runAs: this.spec.runAs } : {}),
      }),
      onChange: () => this.emit('state', this.status()),
      onNotify: (event, message) => this.emit('notify', { task: this.spec.name, instance: this.opts.index, event, message } satisfies InstanceNotice),
      onRestart: (reason) => {
        if (this.s.state !== 'running' && this.s.state !== 'starting') return;
        this.opts.sink.note(`restarting: ${reason}`);
        this.dispatchSafe({ type: 'restart', reason });
      },
    });
    if (this.proc && !this.leaderExited && (this.s.state === 'starting' || this.s.state === 'running')) this.health.begin(this.clock.now());
  }

  get index(): number {
    return this.opts.index;
  }

  get state(): InstanceState {
    return this.s.state;
  }

  /** The live group, for the sampler: none once the leader exited (its box is released; nothing to read). */
  get pgid(): number | undefined {
    return this.leaderExited ? undefined : this.proc?.pgid;
  }

  private get key(): string {
    return `${this.spec.name}/${this.opts.index}`;
  }

  /** Used at the next start; changed `limits` apply to the running box at once. */
  setSpec(spec: ServiceTaskSpec): void {
    const limitsChanged = JSON.stringify(spec.limits ?? {}) !== JSON.stringify(this.spec.limits ?? {});
    this.spec = spec;
    this.syncHealth();
    if (limitsChanged && this.proc) for (const note of this.proc.box.setLimits(spec.limits)) this.opts.sink.note(note);
  }

  status(): InstanceStatus {
    const s = this.s;
    // By assignment (the optional keys in the same order): built for every instance on every `status`.
    const out: InstanceStatus = { index: this.opts.index, state: s.state, since: s.since, restarts: s.restarts };
    if (s.pid !== undefined) out.pid = s.pid;
    if (s.startedAt !== undefined) out.startedAt = s.startedAt;
    if (s.lastExit) out.lastExit = s.lastExit;
    if (s.message !== undefined) out.message = s.message;
    if (s.retryAt !== undefined) out.retryAt = s.retryAt;
    if (this.proc) Object.assign(out, this.metrics);
    const health = this.health?.status();
    if (health) out.health = health;
    return out;
  }

  /** Start by hand (from stopped, exited, fatal or backoff). Throws ALREADY_RUNNING. */
  start(): void {
    this.dispatch({ type: 'start' });
  }

  /** Stop and wait until the whole process group is gone. A stopped instance is left as is. */
  async stop(): Promise<void> {
    if (DOWN_STATES.has(this.s.state)) return;
    this.dispatch({ type: 'stop' });
    await this.whenDown();
  }

  /**
   * Its task is removed and its stop is coming, paced with the others' (a 1,000-instance task's
   * stops in one phase held the loop ~470 ms): from now on nothing starts it again. A process
   * that exits meanwhile is stopped for good, not restarted; one waiting to restart stops now.
   * One already stopping for a restart (health, max_lifetime, `restart`) stops for good: its
   * exit would start it again otherwise.
   */
  retire(): void {
    this.retiring = true;
    if (this.s.state === 'backoff' || (this.s.state === 'stopping' && this.s.restartPending)) this.dispatchSafe({ type: 'stop' });
  }

  /** A scale back up took its slot back before its stop came: it may start again. */
  unretire(): void {
    this.retiring = false;
  }

  /** Stop then start again (or start, when not running). */
  restart(reason?: string): void {
    this.dispatch({ type: 'restart', ...(reason !== undefined ? { reason } : {}) });
  }

  /** Send a signal to the running process group. */
  kill(signal: NodeJS.Signals): boolean {
    return this.proc && SIGNALLABLE_STATES.has(this.s.state) ? this.proc.signal(signal) : false;
  }

  /** Resolves once the instance is down: stopped, exited or fatal. */
  whenDown(): Promise<void> {
    if (DOWN_STATES.has(this.s.state)) return Promise.resolve();
    return new Promise((resolve) => this.downWaiters.push(resolve));
  }

  /** New metrics from the sampler; may recycle the instance. True when the shown figures (CPU, MEM) changed. */
  onMetrics(m: InstanceMetrics): boolean {
    const changed = m.cpu !== this.metrics.cpu || m.rss !== this.metrics.rss;
    this.metrics = m;
    this.checkRecycle();
    return changed;
  }

  private checkRecycle(): void {
    if (this.s.state !== 'running' || this.s.startedAt === undefined) return;
    const reason = recycleReason(this.spec, this.clock.now() - this.s.startedAt, this.metrics.rss);
    if (reason) {
      this.opts.sink.note(`recycling: ${reason}`);
      this.dispatch({ type: 'restart', reason });
    }
  }

  /** Apply one event; coded errors (ALREADY_RUNNING…) are thrown to the caller. */
  dispatch(e: InstanceEvent): void {
    // Retiring: a restart (health, max_lifetime, max_memory) waits for the stop that is coming.
    if (this.retiring && (e.type === 'restart' || e.type === 'start' || e.type === 'backoff-elapsed')) return;
    const before = this.s.state;
    const t = transition(this.s, e, this.clock.now(), this.spec, this.random);
    this.s = t.next;
    if (this.s.state !== before) this.onStateChange(before);
    this.emit('state', this.status());
    for (const effect of t.effects) this.run(effect);
    if (DOWN_STATES.has(this.s.state)) for (const w of this.downWaiters.splice(0)) w();
  }

  /** Internal events (timers, exits) must never throw out of a callback. */
  private dispatchSafe(e: InstanceEvent): void {
    try {
      this.dispatch(e);
    } catch (err) {
      if (!isJobctlError(err)) throw err;
      this.emit('warning', `${this.key}: ${err.message}`);
    }
  }

  private onStateChange(before: InstanceState): void {
    if (before === 'running' || before === 'starting') this.clearTimer('lifetime');
    // A process on its way out is no longer checked (nor restarted for its health).
    if (this.s.state !== 'running' && this.s.state !== 'starting') this.health?.end();
    if (this.s.state === 'running') this.armLifetime();
    // Stopped, exited or fatal: the box's kept cgroup leaf goes (a restart or a backoff keeps it for the next start).
    if (DOWN_STATES.has(this.s.state)) this.containment.dropLeaf({ task: this.spec.name, instance: this.opts.index });
  }

  /** Recycle at max_lifetime. Timers may fire a little before the wall clock agrees: re-arm then. */
  private armLifetime(): void {
    if (this.spec.maxLifetimeMs === undefined || this.s.startedAt === undefined) return;
    const left = this.spec.maxLifetimeMs - (this.clock.now() - this.s.startedAt);
    this.setTimer('lifetime', Math.max(0, left), () => {
      if (this.s.state !== 'running') return;
      if (this.clock.now() - this.s.startedAt! < this.spec.maxLifetimeMs!) this.armLifetime();
      else this.checkRecycle();
    });
  }

  private run(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        this.spawn();
        break;
      case 'signal':
        if (!this.proc && this.startInFlight) this.pendingSignal = effect.signal;
        else if (this.proc) {
          if (effect.signal === 'SIGKILL') {
            this.opts.sink.note(`stop_timeout (${this.spec.stopTimeoutMs}ms) passed: SIGKILL to ${this.proc.box.kind === 'cgroup' ? 'the cgroup' : 'the process group'}`);
            this.proc.kill();
          } else this.proc.signal(effect.signal);
        }
        break;
      case 'arm':
        this.setTimer(effect.timer, effect.delayMs, () => this.dispatchSafe({ type: TIMER_EVENTS[effect.timer] } as InstanceEvent));
        break;
      case 'cancel':
        this.clearTimer(effect.timer);
        break;
      case 'notify': {
        const notice: InstanceNotice = { task: this.spec.name, instance: this.opts.index, event: effect.event, message: effect.message };
        if (this.s.lastExit) {
          notice.exitCode = this.s.lastExit.code;
          notice.signal = this.s.lastExit.signal;
        }
        this.emit('notify', notice);
        break;
      }
    }
  }

  private setTimer(name: TimerName | 'lifetime', ms: number, fn: () => void): void {
    this.clearTimer(name);
    this.timers.set(name, this.clock.setTimeout(() => {
      this.timers.delete(name);
      fn();
    }, ms));
  }

  private clearTimer(name: TimerName | 'lifetime'): void {
    const h = this.timers.get(name);
    if (h !== undefined) {
      this.clock.clearTimeout(h);
      this.timers.delete(name);
    }
  }

  private get containment(): Containment {
    return this.opts.containment ?? noContainment();
  }

  /**
   * Hand the start over; the process is known a moment later (onStarted). Meanwhile the
   * machine may have moved on (a stop or restart): a signal it asks for is kept and sent as
   * soon as there is a process, so a stop always wins and leaves nothing behind.
   */
  private spawn(): void {
    const gen = ++this.generation;
    const spec = this.spec;
    this.pendingSignal = undefined;
    this.startInFlight = true;
    startProcess({
      command: spec.command,
      cwd: spec.cwd,
      env: { ...this.opts.baseEnv, ...spec.env },
      ...(spec.envFile ? { envFile: spec.envFile } : {}),
      ...(spec.runAs ? { runAs: spec.runAs } : {}),
    }, {
      containment: this.containment, id: { task: spec.name, instance: this.opts.index },
      ...(spec.limits ? { limits: spec.limits } : {}), clock: this.clock, onNote: (n) => this.opts.sink.note(n),
    }).then((proc) => this.onStarted(gen, proc, spec), (e: unknown) => this.onStartFailed(gen, e))
      .catch((e: unknown) => this.emit('warning', `${this.key}: after start: ${errorMessage(e)}`));
  }

  private onStartFailed(gen: number, e: unknown): void {
    if (gen !== this.generation) return;
    this.startInFlight = false;
    const message = errorMessage(e);
    this.opts.sink.note(`could not start: ${message}`);
    // Stopped while the start was in flight: the process that never was has ended.
    if (this.s.state === 'stopping') this.dispatchSafe({ type: 'exit', code: null, signal: null });
    else this.dispatchSafe({ type: 'spawn-failed', message });
  }

  private onStarted(gen: number, proc: ProcessHandle, startedWith: ServiceTaskSpec): void {
    this.startInFlight = false;
    this.proc = proc;
    this.leaderExited = false;
    // Limits changed by a reload while the start was in flight (setSpec found no process): in force now.
    if (this.spec !== startedWith && JSON.stringify(this.spec.limits ?? {}) !== JSON.stringify(startedWith.limits ?? {})) {
      for (const note of proc.box.setLimits(this.spec.limits)) this.opts.sink.note(note);
    }
    this.metrics = {};
    this.opts.sink.note(`started pid ${proc.pid}`);
    const captured = this.opts.sink.attach(proc);
    this.opts.store?.recordChild(this.key, this.spec.name, { ...proc, ...(proc.box.cgroup ? { cgroup: proc.box.cgroup } : {}) });
    // Nothing after an exit may become an unhandled rejection: it is reported, and supervision goes on.
    proc.exit.then((status) => this.onExit(gen, proc, status, captured)).catch((e: unknown) => this.emit('warning', `${this.key}: after exit: ${errorMessage(e)}`));
    if (this.s.state === 'starting' && gen === this.generation) {
      this.dispatchSafe({ type: 'spawned', pid: proc.pid });
      if (this.s.state === 'starting' || this.s.state === 'running') this.health?.begin(this.clock.now());
      return;
    }
    // A stop (or restart) came while it was being started: what it asked for, now.
    const sig = this.pendingSignal ?? this.spec.stopSignal;
    this.pendingSignal = undefined;
    if (sig === 'SIGKILL') proc.kill();
    else proc.signal(sig);
  }

  private async onExit(gen: number, proc: ProcessHandle, status: { code: number | null; signal: string | null }, captured: Promise<void>): Promise<void> {
    if (gen === this.generation) this.leaderGone();
    // A failure to clear the box or to update the child records must not keep the exit from the machine.
    let oom = false;
    await this.reportFailure('clearing the process group', async () => {
      ({ oom } = await proc.settle(captured, {
        stopping: this.s.state === 'stopping', stopSignal: this.spec.stopSignal, stopTimeoutMs: this.spec.stopTimeoutMs,
        ...(this.opts.drainMs !== undefined ? { drainMs: this.opts.drainMs } : {}),
      }));
    });
    // What the exit changes (its count, the restart and the replacement's start) waits for its
    // turn: a batch of exits (a reload's stops) must not all restart in one turn of the loop.
    // The child record is forgotten after the restart decision (issue 28: it can wait); its
    // journal write itself is synchronous, within the same turn.
    const forget = () => this.reportFailure('forgetting the child record', () => this.opts.store?.forgetChild(this.key));
    let forgetting: Promise<void> | undefined;
    if (gen === this.generation) {
      // A crash (not a stop's exit) goes first: its replacement is waited for (issue 28).
      await instanceExits.run(async () => {
        this.countExit(gen, status, oom);
        forgetting = forget();
      }, this.s.state !== 'stopping');
    }
    await (forgetting ?? forget());
  }

  /**
   * The leader exited: its uptime ends now, whenever the exit is counted (the settle, then the
   * exit's paced turn behind a burst of others, may take seconds). Nothing on the instance's
   * clock judges a process that is gone meanwhile: start_seconds would make a failed start a
   * good one (backoff and start_retries reset), a probe or max_lifetime would make the crash a
   * restart asked for (no failure counted or notified). The machine cancels these timers itself
   * when the exit reaches it. The sampler no longer gets the group: the box is released, and a
   * group without a cgroup box is looked for in a scan of all of /proc.
   */
  private leaderGone(): void {
    this.leaderExited = true;
    this.clearTimer('start');
    this.clearTimer('lifetime');
    this.health?.end();
  }

  /** The exit counts now: the machine decides (a restart hands the replacement over at once). */
  private countExit(gen: number, status: { code: number | null; signal: string | null }, oom: boolean): void {
    if (gen !== this.generation) return;
    this.proc = undefined;
    const exit = { code: status.code, signal: status.signal, ...(oom ? { oom } : {}) };
    this.opts.sink.note(describeExit(exit, this.spec.limits?.memory));
    // Retiring: the exit of a process its stop had not reached yet ends it, as the stop would have.
    if (this.retiring && (this.s.state === 'running' || this.s.state === 'starting')) this.dispatchSafe({ type: 'stop' });
    this.dispatchSafe({ type: 'exit', ...exit });
  }

  private async reportFailure(what: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.emit('warning', `${this.key}: ${what}: ${errorMessage(e)}`);
    }
  }

  /** Stop (if needed) and release timers. Safe to call twice. */
  async dispose(): Promise<void> {
    await this.stop();
    for (const name of [...this.timers.keys()]) this.clearTimer(name);
    this.health?.dispose();
    this.removeAllListeners('state');
  }
}

