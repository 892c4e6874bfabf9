import { makeDirs } from '../runtime/make-dirs.js';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { ApiServer, osUserName } from '../api/server.js';
import { AuditTrail } from '../runtime/audit-trail.js';
import { diff } from '../config/diff.js';
import { MetricsSampler } from '../runtime/metrics.js';
import { sweepOrphans } from '../runtime/orphans.js';
import { FileRunHistory } from '../runtime/run-history-file.js';
import { Containment } from '../runtime/process/contain.js';
import { spawnerInfo } from '../runtime/process/start.js';
import { StateStore } from '../runtime/state-store.js';
import { errorMessage, JobctlError } from '../shared/errors.js';
import { configErrorHeadline } from '../shared/config-errors.js';
import { homePaths } from '../shared/paths.js';
import type { PlanResult } from '../shared/protocol.js';
import type { HostSettings } from '../shared/types.js';
import { ConfigState } from './config-state.js';
import { HostFileWatcher } from './host-file-watcher.js';
import { FleetLockService } from '../fleet-lock/daemon/service.js';
import type { HostService } from './host-service.js';
import { XxlJobOnDemand } from '../xxljob/daemon/on-demand.js';
import { cronRunPort } from '../xxljob/daemon/cron-port.js';
import { makeHandlers } from './handlers.js';
import { DaemonLog } from './logger.js';
import { DaemonOutput, type LineOutput } from './stdio.js';
import { PidLock } from './pidfile.js';
import { checkStateOwner, pinStateDir, stateMayBeSwapped } from './state-dir.js';
import { onRecreatedDir } from '../runtime/recreated-dirs.js';
import { forgetHome, pruneDeletedHomes, recordHome } from '../runtime/cgroup-prune.js';
import { TaskRegistry, type RegistryEvent } from './registry.js';
import { MetricsService } from '../metrics/daemon/service.js';
import { VERSION } from '../shared/version.js';
import { TaskWatcher } from './watcher.js';
import { applyDelta, reloadRefused } from './apply-delta.js';
import { LoopPacer } from './loop-pacer.js';
import { ReloadQueue } from './reload-queue.js';
import { Autoscaler } from './autoscaler.js';
import { planResult, planSummary, validAgainLines } from './plan.js';
import { removeStalePlanCopies } from './plan-source.js';
import { runnerFactory } from './runner-factory.js';
import { ScaleController } from './scale-controller.js';
import { Scheduler } from '../runtime/scheduler.js';
import { lastFiredMarks, manualScaleMarks } from '../runtime/task-marks.js';
import { Notifier } from './notifier.js';
import { DaemonParts } from './daemon-parts.js';

export interface DaemonOptions {
  home: string;
  /** Where the daemon log goes. @default stderr, then state/daemon.log if stderr fails (DaemonOutput) */
  logStream?: LineOutput;
  /** Watch tasks/ and apply changes. @default true */
  watch?: boolean;
  /** Debounce of the watcher. @default 100 */
  watchDebounceMs?: number;
  /** Metrics sampling interval. @default 2000 */
  metricsIntervalMs?: number;
}

export interface DaemonHandle {
  readonly pid: number;
  readonly socketPath: string;
  /** Re-read tasks/ and apply the difference. */
  reload(): Promise<PlanResult>;
  /** Stop every task and release everything; `now` SIGKILLs the groups first. Safe to call twice. */
  close(now?: boolean): Promise<void>;
  /** Resolves when the daemon has closed. */
  readonly closed: Promise<void>;
  /** The daemon's parts by name, in the order `close` stops them. */
  stopOrder(): string[];
}

/**
 * Brings a daemon up for one home: lock, state store, orphan sweep, config, tasks,
 * socket, watcher. Signals are the caller's (see entry.ts), so tests can run several.
 */
export async function startDaemon(opts: DaemonOptions): Promise<DaemonHandle> {
  const plain = homePaths(opts.home);
  checkStateOwner(plain.state);
  makeDirs(plain.state, 0o700);
  fs.chmodSync(plain.state, 0o700);
  // A home another user may rename things in: state/ is reached through a held descriptor.
  const pinned = process.platform === 'linux' && stateMayBeSwapped(opts.home) ? pinStateDir(plain.state) : undefined;
  const paths = pinned ? homePaths(opts.home, pinned.dir) : plain;
  const log = new DaemonLog(opts.logStream ?? new DaemonOutput(process.stderr, paths.daemonLog));
  const lock = PidLock.acquire(paths.pidFile, opts.home);
  const startedAt = Date.now();
  // Last of all (the socket closes just before it): the lock, then the pinned state/.
  const parts = new DaemonParts();
  parts.up('lock', () => {
    try {
      lock.release();
    } finally {
      if (pinned) fs.closeSync(pinned.fd);
    }
  });
  parts.up('recreated-dirs', onRecreatedDir((dir) => log.warn(`${dir} was removed while the daemon ran: created again`)));
  try {
    const store = await StateStore.open(paths.db, { childrenFile: paths.children, onWarning: (w) => log.warn(w) });
    parts.up('store', () => store.close());
    // Large histories are read from their tail at start; the rest of each is read once the tasks have started.
    let started!: () => void;
    const backgroundAfter = new Promise<void>((r) => (started = r));
    const history = new FileRunHistory({ dir: paths.runs, runLog: paths.runLog, onWarning: (w) => log.warn(w), backgroundAfter });
    parts.up('history', () => {
      started(); // (a start-up that failed never got there)
      return history.close();
    });

    const containment = Containment.open(opts.home);
    parts.up('containment', () => {
      containment.close();
      if (containment.mode === 'cgroup') forgetHome(opts.home);
    });
    log.info(`containment: ${containment.info().description}`);
    if (containment.mode === 'cgroup') recordHome(opts.home, containment.subtrees());
    log.info(`spawner: ${spawnerInfo().description}`);
    const swept = await sweepOrphans(store.children());
    for (const g of swept) log.warn(`stopped ${g.pids.length} process(es) left by a previous daemon (group ${g.pgid})`, g.task);
    for (const b of await containment.sweep()) log.warn(`stopped ${b.pids.length} process(es) left by a previous daemon (${b.name === 'environment' ? 'found by their JOBCTL_* environment' : `cgroup ${b.name}`})`, b.task);
    store.clearChildren();
    // After the sweep, so that a previous daemon's groups it emptied go too.
    if (containment.mode === 'cgroup') {
      const pruned = pruneDeletedHomes({ home: opts.home, subtrees: containment.subtrees() });
      for (const d of pruned.removed) log.info(`removed ${d}: an empty cgroup subtree of a home that no longer exists or of its previous daemon`);
    }
    for (const n of removeStalePlanCopies(paths.state)) log.info(`removed state/${n}: a revision written out by a plan a previous daemon did not finish`);

    // A status or a scrape reads figures once, then; sampling goes on only while a viewer is attached.
    // Figures up to two intervals old are answered at once and refreshed in slices meanwhile.
    const metricsIntervalMs = opts.metricsIntervalMs ?? 2000;
    const sampler = new MetricsSampler(metricsIntervalMs, 0, { servedStaleMs: 2 * metricsIntervalMs });
    sampler.start();
    parts.up('sampler', () => sampler.stop());

    const config = new ConfigState(paths.tasks, 'tasks', opts.home);
    parts.up('config-reader', () => config.close());
    // Features configured by jobctl.yaml; each applies the host settings and is closed at shutdown.
    const fleetLock = new FleetLockService(log, (spec, message) => notifier.send({ task: spec.name, event: 'failure', message, logFile: paths.daemonLog }));
    const services: HostService[] = [fleetLock];
    let appliedHost = '';
    const applyHost = async (settings: HostSettings): Promise<void> => {
      const key = JSON.stringify(settings);
      if (key === appliedHost) return;
      appliedHost = key;
      for (const s of services) {
        try {
          await s.apply(settings);
        } catch (e) {
          log.error(`${s.name}: ${errorMessage(e)}`);
        }
      }
    };
    parts.up('host-services', async () => {
      for (const s of services) await s.close();
    });
    const configEvents = new EventEmitter();
    let lastReloadAt: number | undefined;
    const scheduler = new Scheduler();
    parts.up('scheduler', () => scheduler.stop());
    const scale = new ScaleController(manualScaleMarks(store), (m, task) => log.info(m, task));
    const registry = new TaskRegistry({
      factory: runnerFactory({
        paths, scheduler, history, lastFired: lastFiredMarks(store), scale, store, sampler, baseEnv: { JOBCTL_HOME: opts.home }, containment,
        gate: (spec, scheduledAt) => fleetLock.claim(spec, scheduledAt),
      }),
      history,
    });
    scale.attach(registry);
    registry.on('warning', (w: string) => log.warn(w));
    services.push(new XxlJobOnDemand({ stateDir: paths.state, port: cronRunPort(registry, paths), log }));
    registry.on('event', (ev: RegistryEvent) => log[ev.level](ev.message, ev.task));
    services.push(new MetricsService({
      source: {
        fresh: () => sampler.demand(), // figures read at scrape time
        tasks: () => registry.statusAll(),
        configErrors: () => config.effective.errors.length, startedAt, version: VERSION,
        onRun: (fn) => {
          registry.on('run', fn);
          return () => registry.off('run', fn);
        },
      },
      log,
    }));
    const autoscaler = new Autoscaler(scale, { log, containment });
    const notifier = new Notifier(log, (name) => registry.get(name));
    registry.on('notify', (n) => notifier.send(n));
    parts.up('tasks', () => registry.close(closingNow));
    parts.up('autoscaler', () => autoscaler.close());
    parts.up('notifier', () => notifier.close());

    const initial = await config.load();
    config.commit(initial);
    notifier.setConfig(initial.effective.notifiers);
    if (initial.effective.errors.length) log.error(configErrorHeadline(initial.effective.errors, initial.effective.keptFiles));
    for (const e of initial.effective.errors) log.error(`${e.file}:${e.line}:${e.col}${e.task ? ` task "${e.task}"` : ''}: ${e.message}`);
    // Host services first: the first firings already need the fleet lock.
    await applyHost(initial.effective.host);
    // Registered now, started once the socket answers (paced), so `up` hears back at once whatever the count.
    for (const spec of initial.effective.tasks) registry.addQueued(spec, { catchUp: true, reason: 'queued: the daemon is starting its tasks' });
    // Manual counts are kept for tasks that have instances (a count for a task gone, or now a cron task, is dropped).
    scale.prune((name) => registry.capable(name, 'instances') !== undefined);
    autoscaler.sync(registry.specs());
    scheduler.start();
    lastReloadAt = Date.now();
    log.info(`jobctl daemon ${process.pid} up: ${initial.effective.tasks.length} task(s) from ${paths.tasks}${initial.effective.errors.length ? `, ${initial.effective.errors.length} config error(s)` : ''}`);

    let watcher: TaskWatcher | undefined;
    const pacer = new LoopPacer();
    // The first start of every task: after the socket answers (below); reloads wait for it.
    let startPass: Promise<void> = Promise.resolve();
    // Reloads run one at a time; requests that come during one share the next.
    const reloads = new ReloadQueue(async (): Promise<PlanResult> => {
      await startPass;
      started();
      // Not even read once the daemon stops: the read would start a config reader process.
      if (closing) throw reloadRefused();
      const loaded = await config.load();
      const brokenBefore = config.effective.errors;
      const delta = diff(registry.specs(), loaded.effective.tasks);
      await applyDelta({ registry, scale, pacer }, delta);
      config.commit(loaded);
      watcher?.recheck(config.unreadableFiles);
      notifier.setConfig(loaded.effective.notifiers);
      await applyHost(loaded.effective.host);
      autoscaler.sync(registry.specs());
      lastReloadAt = Date.now();
      const summary = planSummary(delta);
      if (summary) log.info(summary);
      for (const line of validAgainLines(brokenBefore, loaded.effective.errors, delta, { tasks: paths.tasks, display: 'tasks' })) log.info(line);
      if (loaded.effective.errors.length) log.error(configErrorHeadline(loaded.effective.errors, loaded.effective.keptFiles));
      for (const e of loaded.effective.errors) log.error(`${e.file}:${e.line}:${e.col}${e.task ? ` task "${e.task}"` : ''}: ${e.message}`);
      configEvents.emit('config');
      return planResult(delta, loaded.effective.errors, loaded.effective.keptFiles, loaded.effective.elsewhere);
    });
    let saidNoReload = false;
    const reload = (): Promise<PlanResult> => {
      const run = reloads.request();
      run.catch((e: unknown) => {
        // A reload during the stop (a SIGHUP storm, `systemctl reload` racing a stop) is no failure: said once.
        if (e instanceof JobctlError && e.code === 'SHUTTING_DOWN') {
          if (!saidNoReload) log.info('reload not applied: the daemon is shutting down');
          saidNoReload = true;
        } else log.error(`reload failed: ${errorMessage(e)}`);
      });
      return run;
    };

    let closingNow = false;
    let closing: Promise<void> | undefined;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    const close = (now = false): Promise<void> => {
      // `down --now` during a graceful stop: what still stops is killed now, not after stop_timeout.
      if (closing && now && !closingNow) {
        closingNow = true;
        log.info('shutting down now (SIGKILL): killing what still stops');
        void registry.close(true);
      }
      closing ??= (async () => {
        closingNow = now;
        log.info(`shutting down${now ? ' now (SIGKILL)' : ''}: stopping ${registry.specs().length} task(s)`);
        await parts.stop((_name, e) => log.error(`shutdown step failed: ${errorMessage(e)}`));
        log.info('stopped');
        resolveClosed();
      })();
      return closing;
    };

    const server = new ApiServer({
      socketPath: paths.socket,
      onError: (m) => log.error(m),
      onDrop: (m) => log.warn(m),
      // Rights per operator: `access:` of jobctl.yaml as it is at each call (docs/access.md).
      access: {
        owner: osUserName(),
        rules: () => config.effective.host.access,
        tasks: () => registry.specs(),
        groupOf: (name) => registry.get(name)?.group,
      },
      audit: new AuditTrail(paths.audit, { onWarning: (w) => log.warn(w) }),
      handlers: makeHandlers({
        home: opts.home, paths, startedAt, registry, config, log, reload, sampler, containment: containment.info(),
        shutdown: (now) => void close(now),
        lastReloadAt: () => lastReloadAt,
        onConfig: (fn) => {
          configEvents.on('config', fn);
          return () => configEvents.off('config', fn);
        },
        scale: async (task, count) => {
          await scale.setManual(task, count);
          if (count === 'auto') autoscaler.poke(task);
        },
        notifyTest: (name) => notifier.test(name),
        serviceInfo: (name) => services.find((s) => s.name === name)?.info?.(),
      }),
    });
    if (opts.watch !== false) {
      fs.mkdirSync(paths.tasks, { recursive: true });
      // A failed reload is logged by reload(); the watcher has nothing more to do with it.
      const w = new TaskWatcher(paths.tasks, () => void reload().catch(() => undefined), {
        debounceMs: opts.watchDebounceMs ?? 100,
        // The config reader starts while the watcher waits for the files to go quiet.
        onBurst: () => config.reader.prepare(),
      });
      watcher = w;
      await w.ready;
      w.recheck(config.unreadableFiles);
      parts.up('task-watcher', () => w.close());
      const hostWatcher = new HostFileWatcher(opts.home, () => void reload(), opts.watchDebounceMs ?? 100);
      await hostWatcher.ready;
      parts.up('host-file-watcher', () => hostWatcher.close());
    }
    // The socket opens once every task is registered (status lists them all), before they
    // start. It closes after the tasks have stopped, so `jobctl down` sees it go only when
    // everything is down.
    await server.listen();
    parts.up('socket', () => server.close(), { stopsJustBefore: 'lock' });
    // state/ removed whole while running: the socket and the pid file come back, so the CLI
    // finds this daemon (which still holds the home's lock) instead of none.
    const restore = setInterval(() => {
      if (lock.restoreIfGone()) log.warn(`${paths.pidFile} was removed while the daemon ran: written again`);
      server.rebindIfGone().then(
        (again) => again && log.warn(`${paths.socket} was removed while the daemon ran: listening again`),
        (e: unknown) => log.error(`could not listen again on ${paths.socket}: ${(e as Error).message}`),
      );
    }, 1000);
    restore.unref();
    parts.up('restore-timer', () => clearInterval(restore));
    // The socket answers from here on; the tasks start in slices that leave it the loop.
    startPass = pacer.run(initial.effective.tasks.map((t) => t.name), (name) => registry.startQueued(name)).then((failures) => {
      for (const f of failures) log.error(`could not start: ${errorMessage(f.error)}`, f.item);
    });
    await startPass;
    started();

    return { pid: process.pid, socketPath: plain.socket, reload, close, closed, stopOrder: () => parts.stopOrder() };
  } catch (e) {
    await parts.stop(() => undefined); // best effort
    throw e;
  }
}
