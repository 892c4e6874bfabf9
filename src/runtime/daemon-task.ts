import { EventEmitter } from 'node:events';
import { ACTIVE_STATES, SIGNALLABLE_STATES } from '../core/instance-machine.js';
import { JobctlError, isJobctlError } from '../shared/errors.js';
import type { RollingInfo } from '../shared/protocol.js';
import { rollingRestart } from './rolling-restart.js';
import type { HomePaths } from '../shared/paths.js';
import type { DaemonTaskSpec } from '../shared/types.js';
import type { Clock } from './clock.js';
import { InstanceDriver, type InstanceNotice, type InstanceStatus } from './instance-driver.js';
import { LogSink } from './log-sink.js';
import type { MetricsSampler } from './metrics.js';
import type { StateStore } from './state-store.js';
import { DEFAULTS } from '../config/defaults.js';

export interface DaemonTaskOptions {
  spec: DaemonTaskSpec;
  paths: Pick<HomePaths, 'instanceLog'>;
  store?: StateStore;
  clock?: Clock;
  random?: () => number;
  sampler?: MetricsSampler;
  baseEnv?: Record<string, string>;
}

export interface DaemonTaskStatus {
  name: string;
  /** What the user asked for: running (started) or stopped. */
  desired: 'running' | 'stopped';
  instances: InstanceStatus[];
}

interface Slot {
  driver: InstanceDriver;
  sink: LogSink;
  unregister: () => void;
}

/**
 * The N instances of one daemon task, each with its own driver and log. Grows and shrinks
 * (scale) by index: new instances take the next index, shrinking stops the highest.
 * Events: 'state' (InstanceStatus with task), 'notify' (InstanceNotice), 'warning' (string).
 */
export class DaemonTask extends EventEmitter {
  private spec: DaemonTaskSpec;
  private slots: Slot[] = [];
  private desired: 'running' | 'stopped' = 'stopped';
  private count: number;
  private lastWarning = new Map<string, number>();
  private rolling: RollingInfo | undefined;
  private rollingRun: Promise<RollingInfo> | undefined;
  /** A config change arrived during a rolling update: roll once more when it ends. */
  private rollAgain = false;

  constructor(private readonly opts: DaemonTaskOptions) {
    super();
    this.spec = opts.spec;
    this.count = opts.spec.instances;
    this.resize();
  }

  get name(): string {
    return this.spec.name;
  }

  get taskSpec(): DaemonTaskSpec {
    return this.spec;
  }

  get instanceCount(): number {
    return this.count;
  }

  private makeSlot(index: number): Slot {
    const sink = new LogSink({
      path: this.opts.paths.instanceLog(this.spec.name, index),
      logs: this.spec.logs,
      onError: (e) => this.warn(`log:${index}`, `${this.spec.name}/${index}: cannot write log ${e.path ?? ''}: ${e.code ?? e.message}; output is being dropped`),
    });
    const driver = new InstanceDriver({
      spec: this.spec, index, sink,
      ...(this.opts.store ? { store: this.opts.store } : {}),
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      ...(this.opts.random ? { random: this.opts.random } : {}),
      ...(this.opts.baseEnv ? { baseEnv: this.opts.baseEnv } : {}),
    });
    driver.on('state', (s: InstanceStatus) => this.emit('state', { task: this.spec.name, ...s }));
    driver.on('notify', (n: InstanceNotice) => this.emit('notify', n));
    driver.on('warning', (w: string) => this.emit('warning', w));
    const unregister = this.opts.sampler?.register(() => driver.pgid, (m) => driver.onMetrics(m)) ?? (() => undefined);
    return { driver, sink, unregister };
  }

  /** Warnings of one kind at most once a minute. */
  private warn(kind: string, message: string): void {
    const now = Date.now();
    if (now - (this.lastWarning.get(kind) ?? 0) < 60_000) return;
    this.lastWarning.set(kind, now);
    this.emit('warning', message);
  }

  private resize(): void {
    while (this.slots.length < this.count) this.slots.push(this.makeSlot(this.slots.length));
  }

  /** Start every instance that is not active. */
  start(): void {
    this.desired = 'running';
    for (const { driver } of this.slots) startQuietly(driver);
  }

  /** Stop every instance and wait for their process groups to be gone. */
  async stop(): Promise<void> {
    this.desired = 'stopped';
    await Promise.all(this.slots.map(({ driver }) => driver.stop()));
    // What the processes wrote on their way out is in the files when stop() returns.
    await Promise.all(this.slots.map(({ sink }) => sink.file.idle()));
  }

  /** Restart every instance (stop, then start); resolves once each is starting or running again. */
  async restart(): Promise<void> {
    this.desired = 'running';
    for (const { driver } of this.slots) driver.restart();
  }

  /** Signal the running process groups; returns how many were signalled. */
  kill(signal: NodeJS.Signals): number {
    return this.slots.filter(({ driver }) => driver.kill(signal)).length;
  }

  /** Change the number of instances: new ones start if the task runs; the highest stop first. */
  async setCount(n: number): Promise<void> {
    this.count = n;
    this.resize();
    if (this.desired === 'running') for (const { driver } of this.slots.slice(0, n)) startQuietly(driver);
    const extra = this.slots.slice(n);
    this.slots = this.slots.slice(0, n);
    await Promise.all(extra.map((slot) => this.disposeSlot(slot)));
  }

  /**
   * A changed spec: new instances count applies at once; everything else restarts the running
   * instances, all at once, or one at a time with `update: rolling`.
   */
  async update(spec: DaemonTaskSpec, restartRunning: boolean): Promise<void> {
    this.spec = spec;
    for (const { driver } of this.slots) driver.setSpec(spec);
    if (restartRunning && this.desired === 'running') {
      if (spec.update === 'rolling' && this.slots.length > 1) {
        if (this.rollingRun) this.rollAgain = true;
        else void this.startRolling(DEFAULT_ROLLING_STEP_MS, 'configuration changed').catch((e: unknown) => this.emit('warning', `${this.name}: ${(e as Error).message}`));
      } else {
        for (const { driver } of this.slots) {
          if (ACTIVE_STATES.has(driver.state)) driver.restart('configuration changed');
        }
      }
    }
    await this.setCount(spec.instances);
  }

  /**
   * Restart the instances one at a time, each waiting until its replacement is running (or
   * healthy, with `health:`), at most `stepTimeoutMs` each; the first failure stops the roll.
   * Resolves when the roll ends. Throws ALREADY_RUNNING during another roll, NOT_RUNNING when stopped.
   */
  startRolling(stepTimeoutMs: number, why = 'rolling restart'): Promise<RollingInfo> {
    if (this.rollingRun) {
      throw new JobctlError('ALREADY_RUNNING', `a rolling restart of "${this.name}" is under way (instance ${this.rolling?.instance ?? '?'}, ${this.rolling?.done ?? 0} of ${this.rolling?.total ?? '?'} done)`);
    }
    if (this.desired !== 'running') throw new JobctlError('NOT_RUNNING', `task "${this.name}" is stopped; start it with \`jobctl start ${this.name}\``);
    const run = rollingRestart({
      indexes: () => this.slots.map((s) => s.driver.index),
      status: (i) => this.slots[i]?.driver.status(),
      restart: (i) => {
        const driver = this.slots[i]?.driver;
        if (!driver) return;
        this.slots[i]!.sink.note(`${why}: replacing this instance`);
        if (SIGNALLABLE_STATES.has(driver.state)) driver.restart(why);
        else startQuietly(driver);
      },
      onChange: (fn) => {
        this.on('state', fn);
        return () => this.off('state', fn);
      },
      hasHealth: () => this.spec.health !== undefined,
    }, {
      stepTimeoutMs,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      cancelled: () => this.desired !== 'running',
      onProgress: (info) => {
        this.rolling = info;
        this.emit('rolling', info);
      },
    });
    this.rollingRun = run;
    return run.finally(() => {
      this.rollingRun = undefined;
      if (this.rollAgain && this.desired === 'running') {
        this.rollAgain = false;
        void this.startRolling(stepTimeoutMs, 'configuration changed').catch(() => undefined);
      }
    });
  }

  rollingStatus(): RollingInfo | undefined {
    return this.rolling;
  }

  status(): DaemonTaskStatus {
    return { name: this.spec.name, desired: this.desired, instances: this.slots.map(({ driver }) => driver.status()) };
  }

  sink(index: number): LogSink | undefined {
    return this.slots[index]?.sink;
  }

  get sinks(): LogSink[] {
    return this.slots.map((s) => s.sink);
  }

  private async disposeSlot(slot: Slot): Promise<void> {
    slot.unregister();
    await slot.driver.dispose();
    await slot.sink.close();
  }

  /** Stop everything and close the logs. Safe to call twice. */
  async dispose(): Promise<void> {
    this.desired = 'stopped';
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => this.disposeSlot(s)));
  }
}

/** How long one instance of a rolling update may take (config changes with `update: rolling`). */
const DEFAULT_ROLLING_STEP_MS = DEFAULTS.rollingStepTimeoutMs;

function startQuietly(driver: InstanceDriver): void {
  try {
    // Not while it has a process: a running one stays, a stopping one finishes first.
    if (!SIGNALLABLE_STATES.has(driver.state)) driver.start();
  } catch (e) {
    if (!isJobctlError(e)) throw e;
  }
}
