import { EventEmitter } from 'node:events';
import type { Containment } from './process/contain.js';
import { DOWN_STATES } from '../core/instance-machine.js';
import { errorMessage, isJobctlError, JobctlError } from '../shared/errors.js';
import type { HomePaths } from '../shared/paths.js';
import type { InstanceInfo, RollingInfo, ScaleInfo, ServiceTaskStatus } from '../shared/protocol.js';
import { serviceFacts } from '../core/dependency-facts.js';
import type { DependencyFacts } from '../core/start-order.js';
import { DEFAULTS } from '../config/defaults.js';
import { rollingRestart } from './rolling-restart.js';
import type { InstanceState, ServiceTaskSpec, TaskSpec } from '../shared/types.js';
import type { Clock } from './clock.js';
import { InstanceDriver, type InstanceNotice, type InstanceStatus } from './instance-driver.js';
import { TAIL_BUDGET_BYTES, mergeByTime, tailRotated, tagInstance, type TailBudget } from './log-read.js';
import { LogSink } from './log-sink.js';
import type { MetricsSampler } from './metrics.js';
import type { StateStore } from './state-store.js';
import { CommandSequence, disabledError, refuseWhileDisposing, specStatusBase, type Intent } from './runner-common.js';
import type { Capabilities, KindDetails, LogQuery, LogSelection, TaskNotice, TaskRunner } from './task-runner.js';
import { taskState } from '../core/task-lifecycle.js';
import { anyKey } from '../core/reload-plan.js';
import { PacedTurns } from './process/paced-turns.js';

/**
 * The stops of many instances at once (a task stopped, restarted or deleted, a count lowered) go
 * ≤ 5 ms of the loop per turn, daemon-wide: 1,000 signalled in one phase held the loop ~500 ms.
 */
const stopTurns = new PacedTurns(5);

export interface ServiceRunnerOptions {
  spec: ServiceTaskSpec;
  paths: Pick<HomePaths, 'instanceLog'>;
  store?: StateStore;
  clock?: Clock;
  random?: () => number;
  sampler?: MetricsSampler;
  baseEnv?: Record<string, string>;
  /** The home's containment, for every instance. @default process groups alone */
  containment?: Containment;
  /** The instance count to begin with (the scale controller's). @default spec.instances */
  count?: number;
  /** Extra status for tasks with `scale` or a manual count (the scale controller's). */
  scaleInfo?: () => ScaleInfo | undefined;
}

interface Slot {
  driver: InstanceDriver;
  sink: LogSink;
  unregister: () => void;
}

/** How a service's instances sum up, most telling first. */
const PRIORITY: InstanceState[] = ['fatal', 'backoff', 'starting', 'stopping', 'running', 'exited', 'stopped'];

export function summarizeInstances(instances: readonly InstanceInfo[]): InstanceState {
  for (const s of PRIORITY) if (instances.some((i) => i.state === s)) return s;
  return 'stopped';
}

/**
 * The N instances of one long-running (service) task, each with its own driver and log.
 * The count is set by the scale controller only (setCount): new instances take the next
 * index, shrinking stops the highest. Commands settle to the last one given.
 * Events: 'state' (), 'instance' (InstanceStatus & {task}: every instance transition),
 * 'notify' (TaskNotice), 'warning' (string), 'rolling' (RollingInfo: a rolling restart's progress),
 * 'slot' (index, LogSink): an instance was added, 'disposed' ().
 */
export class ServiceRunner extends EventEmitter implements TaskRunner {
  readonly kind = 'service' as const;
  readonly noun = 'a service task';
  /** Instances (sized by the scale controller) and rolling restarts; no runs of its own, no history. */
  readonly can: Capabilities = this.capabilities();
  private spec_: ServiceTaskSpec;
  private slots: Slot[] = [];
  private desired_: 'running' | 'stopped' = 'stopped';
  private count: number;
  private readonly commands = new CommandSequence();
  private readonly lastWarning = new Map<string, number>();
  private waiters: Array<() => void> = [];
  private disposing: Promise<void> | undefined;
  private rolling: RollingInfo | undefined;
  private rollingRun: Promise<RollingInfo> | undefined;
  /** A config change arrived during a rolling update: roll once more when it ends. */
  private rollAgain = false;

  constructor(private readonly opts: ServiceRunnerOptions) {
    super();
    this.spec_ = opts.spec;
    this.count = opts.count ?? opts.spec.instances;
    this.resize();
  }

  private capabilities(): Capabilities {
    const me = () => this;
    return {
      instances: {
        get spec() {
          return me().spec;
        },
        get count() {
          return me().instanceCount;
        },
        get desired() {
          return me().desired;
        },
        setCount: (n) => this.setCount(n),
        whenSteady: () => this.whenSteady(),
      },
      rolling: { start: (ms) => this.startRolling(ms) },
    };
  }

  get name(): string {
    return this.spec_.name;
  }

  get spec(): ServiceTaskSpec {
    return this.spec_;
  }

  get instanceCount(): number {
    return this.count;
  }

  /** What the last command wants of the instances (status's `desired`). */
  get desired(): 'running' | 'stopped' {
    return this.desired_;
  }

  private makeSlot(index: number): Slot {
    const sink = new LogSink({
      path: this.opts.paths.instanceLog(this.name, index),
      logs: this.spec_.logs,
      onError: (e) => this.warn(`log:${index}`, `${this.name}/${index}: cannot write log ${e.path ?? ''}: ${e.code ?? e.message}; output is being dropped`),
    });
    const driver = new InstanceDriver({
      spec: this.spec_, index, sink,
      ...(this.opts.store ? { store: this.opts.store } : {}),
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      ...(this.opts.random ? { random: this.opts.random } : {}),
      ...(this.opts.baseEnv ? { baseEnv: this.opts.baseEnv } : {}),
      ...(this.opts.containment ? { containment: this.opts.containment } : {}),
    });
    driver.on('state', (st: InstanceStatus) => this.onInstanceState(st));
    driver.on('notify', (n: InstanceNotice) => this.emit('notify', {
      task: n.task, event: n.event, message: n.message, instance: n.instance,
      ...(n.exitCode !== undefined ? { exitCode: n.exitCode } : {}),
      ...(n.signal !== undefined ? { signal: n.signal } : {}),
      logFile: this.opts.paths.instanceLog(n.task, n.instance),
    } satisfies TaskNotice));
    driver.on('warning', (w: string) => this.emit('warning', w));
    // New figures reach watchers (the TUI, `top`) as a 'metrics' event: status pushes, no state change.
    const unregister = this.opts.sampler?.register(() => driver.pgid, (m) => {
      if (driver.onMetrics(m)) this.emit('metrics');
    }, { always: () => this.spec_.maxMemory !== undefined }) ?? (() => undefined);
    // (for log followers: an instance added by a new count)
    this.emit('slot', index, sink);
    return { driver, sink, unregister };
  }

  private onInstanceState(st: InstanceStatus): void {
    this.emit('instance', { task: this.name, ...st });
    this.emit('state');
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves on the next instance state change (or command). */
  private nextChange(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  /** Warnings of one kind at most once a minute. */
  private warn(kind: string, message: string): void {
    const now = Date.now();
    if (now - (this.lastWarning.get(kind) ?? 0) < 60_000) return;
    this.lastWarning.set(kind, now);
    this.emit('warning', message);
  }

  private resize(): void {
    while (this.slots.length < this.count) {
      this.slots.push(this.makeSlot(this.slots.length));
    }
  }

  /**
   * The instances the count asks for. Slots beyond it are retiring: they stay (and show)
   * until their process groups are gone, so a scale back up reuses the slot of an index
   * (its start waits for the stop under way) and no index ever has two processes.
   */
  private active(): Slot[] {
    return this.slots.slice(0, this.count);
  }

  private requireEnabled(): void {
    if (!this.spec_.enabled) throw disabledError(this.spec_);
  }

  /** A new command: waiting commands re-check whether they still hold. */
  private command(intent: Intent): number {
    const n = this.commands.next(this.name, intent);
    for (const w of this.waiters.splice(0)) w();
    return n;
  }

  /**
   * Every instance that has no process wanted gets one; one that is stopping starts again
   * once its group is gone (the machine keeps that start pending).
   */
  async start(): Promise<void> {
    refuseWhileDisposing(this.disposing, this.name);
    this.requireEnabled();
    this.command('running');
    this.desired_ = 'running';
    for (const { driver } of this.active()) startInstance(driver);
    this.emit('state');
  }

  /**
   * Stop every instance and wait for their process groups to be gone. A start or restart
   * given meanwhile wins: this call then rejects with SUPERSEDED.
   */
  async stop(): Promise<void> {
    // Being disposed is being stopped.
    if (this.disposing) return this.disposing;
    const cmd = this.command('stopped');
    this.desired_ = 'stopped';
    // In turns; a start or restart given before one's turn keeps it running.
    for (const slot of this.slots) if (!DOWN_STATES.has(slot.driver.state)) this.stopInTurn(slot, () => this.commands.holds(cmd, 'stopped'));
    this.emit('state');
    while (this.commands.holds(cmd, 'stopped') && !this.slots.every(({ driver }) => DOWN_STATES.has(driver.state))) await this.nextChange();
    this.commands.check(cmd, 'stopped', this.name, 'stop');
    // What the processes wrote on their way out is in the files when stop() returns.
    await Promise.all(this.slots.map(({ sink }) => sink.file.idle()));
  }

  /** Restart every instance (stop, then start); resolves once each is on its way back. */
  async restart(): Promise<void> {
    refuseWhileDisposing(this.disposing, this.name);
    this.requireEnabled();
    const cmd = this.command('running');
    this.desired_ = 'running';
    // In turns, as the stops; a stop given before one's turn wins, and a slot a scale-down took is left to it.
    await Promise.all(this.active().map((slot, i) => stopTurns.run(() => {
      if (this.commands.holds(cmd, 'running') && this.slots[i] === slot && i < this.count) slot.driver.restart();
    })));
    this.emit('state');
  }

  signal(sig: NodeJS.Signals): number {
    return this.slots.filter(({ driver }) => driver.kill(sig)).length;
  }

  /** The scale controller's: new instances start if the task runs; the highest stop first. */
  async setCount(n: number): Promise<void> {
    this.commands.requireOpen(this.name);
    if (n === this.count && this.slots.length === n) return;
    this.count = n;
    this.resize();
    for (const { driver } of this.active()) {
      driver.unretire(); // a slot a scale back up took back before its stop came
      if (this.desired_ === 'running') startInstance(driver);
    }
    for (let i = n; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      // Until its stop comes, a crash or a health restart does not start it again.
      slot.driver.retire();
      // In turns (1,000 → 0 in one phase held the loop). A scale back up before its turn keeps it.
      if (!DOWN_STATES.has(slot.driver.state)) this.stopInTurn(slot, () => this.slots[i] === slot && i >= this.count);
    }
    this.emit('state');
    await this.trim();
  }

  /** Stop a slot's instance in its turn of the loop (`stopTurns`) if `still()` holds then and it is not down. */
  private stopInTurn(slot: Slot, still: () => boolean): void {
    void stopTurns.run(() => (still() && !DOWN_STATES.has(slot.driver.state) ? slot.driver.stop() : undefined))
      .catch((e: unknown) => this.emit('warning', `${this.name}: ${errorMessage(e)}`));
  }

  /** Drop the retiring slots once none has a process (a scale back up may take them back meanwhile). */
  private async trim(): Promise<void> {
    const retiringBusy = () => this.slots.slice(this.count).some(({ driver }) => !DOWN_STATES.has(driver.state));
    while (this.slots.length > this.count && retiringBusy()) await this.nextChange();
    if (this.slots.length <= this.count) return;
    const extra = this.slots.slice(this.count);
    this.slots = this.slots.slice(0, this.count);
    await Promise.all(extra.map((slot) => stopTurns.run(() => this.disposeSlot(slot))));
    this.emit('state');
  }

  /**
   * A changed spec (what each key does: core/reload-plan's table). Process keys restart the running instances; `enabled: false` stops (the
   * owner starts an enabled task);
   * the rest apply from the next start without touching what runs. The count is not this
   * method's (the scale controller applies `instances`/`scale`).
   */
  async update(spec: TaskSpec, keys: readonly string[]): Promise<boolean> {
    if (spec.kind !== 'service' || anyKey(keys, 'recreate')) return false;
    const wasEnabled = this.spec_.enabled;
    this.spec_ = spec;
    for (const { driver, sink } of this.slots) {
      driver.setSpec(spec);
      if (keys.includes('logs')) sink.setLogs(spec.logs);
    }
    if (!spec.enabled && wasEnabled) {
      await this.stop().catch((e: unknown) => {
        if (!isJobctlError(e)) throw e;
      });
    } else if (spec.enabled && !wasEnabled) {
      // Enabled: the owner starts it once its dependencies are ready (TaskRunner.update).
    } else if (this.desired_ === 'running' && anyKey(keys, 'restart')) {
      if (spec.update === 'rolling' && this.slots.length > 1) {
        // `update: rolling`: one instance at a time, as `jobctl restart --rolling`.
        if (this.rollingRun) this.rollAgain = true;
        else void this.startRolling(DEFAULTS.rollingStepTimeoutMs, 'configuration changed').catch((e: unknown) => this.emit('warning', `${this.name}: ${errorMessage(e)}`));
      } else {
        for (const { driver } of this.active()) {
          if (!DOWN_STATES.has(driver.state)) driver.restart('configuration changed');
        }
      }
    }
    this.emit('state');
    return true;
  }

  /**
   * Restart the instances one at a time, each waiting until its replacement is running (or
   * healthy, with `health:`), at most `stepTimeoutMs` each; the first failure ends the roll
   * and the instances not reached keep their processes. Resolves when the roll ends.
   * Throws ALREADY_RUNNING during another roll, NOT_RUNNING when the task is stopped.
   */
  startRolling(stepTimeoutMs: number, why = 'rolling restart'): Promise<RollingInfo> {
    if (this.rollingRun) {
      const r = this.rolling;
      throw new JobctlError('ALREADY_RUNNING', `a rolling restart of "${this.name}" is under way (instance ${r?.instance ?? '?'}, ${r?.done ?? 0} of ${r?.total ?? '?'} done)`);
    }
    this.requireEnabled();
    if (this.desired_ !== 'running') throw new JobctlError('NOT_RUNNING', `task "${this.name}" is stopped; start it with \`jobctl start ${this.name}\``);
    const run = rollingRestart({
      indexes: () => this.slots.map((_, i) => i),
      status: (i) => this.slots[i]?.driver.status(),
      restart: (i, step) => {
        const slot = this.slots[i];
        if (!slot || i >= this.count) return;
        slot.sink.note(`${why}: replacing this instance (${step})`);
        if (DOWN_STATES.has(slot.driver.state) || slot.driver.state === 'backoff') startInstance(slot.driver);
        else slot.driver.restart(`${why} (${step})`);
      },
      onChange: (fn) => {
        this.on('instance', fn);
        return () => this.off('instance', fn);
      },
      hasHealth: () => this.spec_.health !== undefined,
      // A scale-down stops the slots from `count` on (setCount): the roll leaves them alone.
      retired: (i) => i >= this.count,
    }, {
      stepTimeoutMs,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      cancelled: () => this.desired_ !== 'running',
      onProgress: (info) => {
        this.rolling = info;
        this.emit('rolling', info);
        this.emit('state');
      },
    });
    this.rollingRun = run;
    return run.finally(() => {
      this.rollingRun = undefined;
      if (this.rollAgain && this.desired_ === 'running') {
        this.rollAgain = false;
        void this.startRolling(stepTimeoutMs, 'configuration changed').catch(() => undefined);
      }
    });
  }

  instances(): InstanceStatus[] {
    return this.slots.map(({ driver }) => driver.status());
  }

  dependencyFacts(waiting?: string): DependencyFacts {
    return serviceFacts(waiting === undefined ? this.status() : { ...this.status(), desired: 'running', waiting });
  }

  details(): KindDetails {
    const s = this.spec_;
    return {
      logFiles: this.slots.map((_, i) => this.opts.paths.instanceLog(this.name, i)),
      restart: { policy: s.restart, maxRestarts: s.maxRestarts, windowMs: s.restartWindowMs, startRetries: s.startRetries },
    };
  }

  status(): ServiceTaskStatus {
    const spec = this.spec_;
    const instances: InstanceInfo[] = this.instances();
    const sum = (k: 'cpu' | 'rss') => {
      const vals = instances.map((i) => i[k]).filter((v): v is number => v !== undefined);
      return vals.length ? vals.reduce((a, b) => a + b, 0) : undefined;
    };
    const cpu = sum('cpu');
    const rss = sum('rss');
    const scale = this.opts.scaleInfo?.();
    // Built by assignment, not by spreading optional parts: a status of 1,000 tasks is built
    // on every `status` (spreads of objects of many shapes cost ~20 µs a task there).
    const out: ServiceTaskStatus = Object.assign(specStatusBase(spec), {
      kind: 'service' as const,
      state: taskState(spec, summarizeInstances(instances)),
      desired: this.desired_,
      restarts: instances.reduce((a, i) => a + i.restarts, 0),
      instances,
      running: instances.filter((i) => i.state === 'running').length,
    });
    if (cpu !== undefined) out.cpu = Math.round(cpu * 10) / 10;
    if (rss !== undefined) out.rss = rss;
    if (scale) out.scale = scale;
    if (this.rolling) out.rolling = { ...this.rolling };
    return out;
  }

  /** Resolves once the instances are steady (none starting or stopping), or after start_seconds + stop_timeout + 5 s. */
  async whenSteady(): Promise<void> {
    const limit = Date.now() + 5000 + this.spec_.startMs + this.spec_.stopTimeoutMs;
    const busy = () => this.slots.some(({ driver }) => driver.state === 'starting' || driver.state === 'stopping');
    while (busy() && Date.now() < limit) {
      await Promise.race([this.nextChange(), new Promise((r) => setTimeout(r, Math.max(1, limit - Date.now())).unref())]);
    }
  }

  sink(index: number): LogSink | undefined {
    return this.slots[index]?.sink;
  }

  logs(q: LogQuery): LogSelection {
    if (q.run !== undefined) throw new JobctlError('WRONG_KIND', `task "${this.name}" is a service task; --run is for cron tasks`);
    const count = this.count;
    if (q.instance !== undefined && q.instance >= Math.max(count, 1)) {
      throw new JobctlError('NOT_FOUND', `task "${this.name}" has ${count} instance${count === 1 ? '' : 's'} (0..${Math.max(0, count - 1)})`);
    }
    const indexes = q.instance !== undefined ? [q.instance] : Array.from({ length: count }, (_, i) => i);
    return {
      read: (n, fromFilesOnly) => {
        // Recent lines come from the in-memory ring when it holds enough; else from the files.
        // One read budget for the whole request: each instance still to read gets an equal
        // share of what is left, so what a small log leaves goes to the others.
        const budget: TailBudget = { bytes: TAIL_BUDGET_BYTES };
        let capped = false;
        const parts = indexes.map((i, k) => {
          const file = this.opts.paths.instanceLog(this.name, i);
          const ring = this.sink(i)?.tail.lines(n) ?? [];
          let part: { lines: string[]; files: string[]; capped?: boolean };
          if (ring.length >= n && !fromFilesOnly) part = { lines: ring, files: [file] };
          else {
            const share: TailBudget = { bytes: Math.floor(budget.bytes / (indexes.length - k)) };
            const before = share.bytes;
            part = tailRotated(file, n, share);
            budget.bytes -= before - share.bytes;
            if (part.capped) capped = true;
          }
          // Merged output of several instances always says which one wrote a line.
          return indexes.length > 1 ? { ...part, lines: part.lines.map((l) => tagInstance(l, i)) } : part;
        });
        return [{ lines: mergeByTime(parts.map((x) => x.lines)), files: parts.flatMap((x) => x.files), ...(capped ? { capped: true } : {}) }];
      },
      follow: (onSink, onEnd) => {
        for (const i of indexes) {
          const sink = this.sink(i);
          if (sink) onSink(sink, indexes.length > 1 ? { instance: i } : {});
        }
        // Instances a new count adds are followed too; a removed (or re-created) task ends the follow.
        const onSlot = (i: number, sink: LogSink) => {
          if (q.instance === undefined) onSink(sink, { instance: i });
          else if (q.instance === i) onSink(sink, {});
        };
        const onGone = () => onEnd(`task "${this.name}" was removed or re-created by an edit`);
        this.on('slot', onSlot);
        this.once('disposed', onGone);
        return () => {
          this.off('slot', onSlot);
          this.off('disposed', onGone);
        };
      },
    };
  }

  private async disposeSlot(slot: Slot): Promise<void> {
    slot.unregister();
    await slot.driver.dispose();
    await slot.sink.close();
  }

  /** Stop everything and close the logs. Safe to call twice. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.commands.close();
      for (const w of this.waiters.splice(0)) w();
      this.desired_ = 'stopped';
      // The instances show (stopping) until their groups are gone; nothing can add one now.
      // Their stops go a slice of the loop at a time (a 1,000-instance task held it ~470 ms);
      // meanwhile none restarts.
      for (const slot of this.slots) slot.driver.retire();
      await Promise.all(this.slots.map((s) => stopTurns.run(() => this.disposeSlot(s))));
      this.slots = [];
      this.emit('disposed');
      this.removeAllListeners();
    })();
    return this.disposing;
  }
}

/** Start an instance unless it has (or is getting) a process; a stopping one restarts after. */
function startInstance(driver: InstanceDriver): void {
  if (driver.state === 'starting' || driver.state === 'running') return;
  try {
    driver.start();
  } catch (e) {
    if (!isJobctlError(e)) throw e;
  }
}
