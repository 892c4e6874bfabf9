import type { Handlers } from '../api/server.js';
import { diff } from '../config/diff.js';
import { DEFAULTS } from '../config/defaults.js';
import type { MetricsSampler } from '../runtime/metrics.js';
import { errorMessage, isJobctlError, JobctlError } from '../shared/errors.js';
import type { HomePaths } from '../shared/paths.js';
import type { ContainmentInfo, DaemonEvent, DaemonInfo, PlanResult, TaskStatus, XxlJobStatus } from '../shared/protocol.js';
import { PROTOCOL } from '../shared/protocol.js';
import { normalizeSignal } from '../shared/signals.js';
import { VERSION } from '../shared/version.js';
import type { ConfigState } from './config-state.js';
import { readLogs } from './log-service.js';
import type { DaemonLog } from './logger.js';
import { elsewhereOf, planResult } from './plan.js';
import { directorySource, relocate, revisionSource } from './plan-source.js';
import type { TaskRegistry } from './registry.js';
import { Subscriptions } from './subscriptions.js';
import { taskDetails } from './task-details.js';
import { isGroupTarget, requireSingleTarget, resolveTargets } from './targets.js';

export interface HandlerDeps {
  home: string;
  paths: HomePaths;
  startedAt: number;
  registry: TaskRegistry;
  config: ConfigState;
  log: DaemonLog;
  reload: () => Promise<PlanResult>;
  shutdown: (now: boolean) => void;
  lastReloadAt: () => number | undefined;
  /** How tasks' processes are contained (cgroups or process groups). */
  containment?: ContainmentInfo;
  /** Subscribe to config changes (reloads); returns the unsubscribe function. */
  onConfig: (fn: () => void) => () => void;
  /** `jobctl scale`: set a manual count, or go back to auto (WRONG_KIND for a cron task). */
  scale: (task: string, count: number | 'auto') => Promise<void>;
  /** What a host service shows in status (its info()), by name. */
  serviceInfo?: (name: string) => unknown;
  /** `jobctl notify test`: send a test message; resolves with the HTTP status. */
  notifyTest: (notifier: string) => Promise<number>;
  /** CPU/RSS sampling: told when someone looks (status) or watches (a state subscription). */
  sampler?: MetricsSampler;
}

export function daemonInfo(d: HandlerDeps): DaemonInfo {
  const lastReloadAt = d.lastReloadAt();
  const info: DaemonInfo = {
    pid: process.pid, version: VERSION, home: d.home, tasksDir: d.paths.tasks, startedAt: d.startedAt,
    configErrors: d.config.effective.errors,
    ...(d.containment ? { containment: d.containment } : {}),
    keptFiles: d.config.effective.keptFiles,
    ...(lastReloadAt !== undefined ? { lastReloadAt } : {}),
    warnings: d.log.warnings(),
    identity: { hostname: d.config.hostname, labels: d.config.effective.host.labels },
  };
  const xxljob = d.serviceInfo?.('xxljob') as XxlJobStatus | undefined;
  if (xxljob) info.xxljob = xxljob;
  return info;
}

/**
 * Run `fn` on each task a target names. For one task its error is the answer; for a group
 * or --all the others still go, and the failures are logged and thrown together after
 * (the code of the first, the statuses of all in `data.tasks`), so a caller is never told
 * that a group did what it asked when part of it did not. A disabled task is passed over
 * by a group (it is loaded, shown and never started): that is not a failure.
 */
async function each(d: HandlerDeps, target: string, only: string[] | undefined, fn: (name: string) => Promise<void>): Promise<string[]> {
  const names = namesOf(d, target, only);
  if (!isGroupTarget(target)) {
    await fn(names[0]!);
    return names;
  }
  const failures: GroupFailure[] = [];
  await Promise.all(names.map(async (n) => {
    try {
      await fn(n);
    } catch (e) {
      failures.push({ task: n, error: e });
    }
  }));
  answerGroup(d, target, names, failures);
  return names;
}

type GroupFailure = { task: string; error: unknown };

/** A target's tasks; `only`: the server cut it to the caller's scope already (docs/access.md). */
function namesOf(d: HandlerDeps, target: string, only: string[] | undefined): string[] {
  return only ?? resolveTargets(target, d.registry.specs());
}

/**
 * After a group command: its failures are logged and thrown together (the code of the first,
 * the statuses of all in `data.tasks`). A disabled task passed over by a group is no failure.
 */
function answerGroup(d: HandlerDeps, target: string, names: string[], all: readonly GroupFailure[]): void {
  const failures = all.filter((f) => !(isJobctlError(f.error) && f.error.code === 'DISABLED'));
  if (!failures.length) return;
  const message = `${target}: ${failures.map((f) => `${f.task}: ${errorMessage(f.error)}`).join('; ')}`;
  d.log.warn(message);
  const first = failures[0]!.error;
  const tasks = names.filter((n) => d.registry.has(n)).map((n) => d.registry.status(n));
  throw new JobctlError(isJobctlError(first) ? first.code : 'INTERNAL', message, { data: { tasks, failed: failures.map((f) => f.task) } });
}

export function makeHandlers(d: HandlerDeps): Handlers {
  const subs = new Subscriptions();
  const statuses = (names: string[]): TaskStatus[] => names.filter((n) => d.registry.has(n)).map((n) => d.registry.status(n));
  // Only instances start and stop over time; a cron task is steady once the command returns.
  const steady = (names: string[]) => Promise.all(names.map((n) => d.registry.capable(n, 'instances')?.whenSteady()));

  return {
    hello: () => ({ protocol: PROTOCOL, version: VERSION, pid: process.pid, home: d.home, startedAt: d.startedAt }),

    status: async ({ target, allHosts, only }) => {
      // After an idle spell the figures are read first, in slices that leave the loop to others.
      await d.sampler?.demand();
      const names = only ?? (target ? resolveTargets(target, d.registry.specs()) : d.registry.names());
      const tasks = statuses(names);
      // One task by name: what `pm2 describe` shows too (command, cwd, env keys, logs, last lines).
      const one = target !== undefined && !target.startsWith('@') && target !== '*' && tasks.length === 1;
      if (one) {
        const details = taskDetails(d.registry, tasks[0]!);
        if (details) tasks[0] = { ...tasks[0]!, details };
      }
      return { daemon: daemonInfo(d), tasks, ...(allHosts ? { elsewhere: elsewhereOf(d.config.effective.elsewhere) } : {}) };
    },

    start: async ({ target, wait, only }) => {
      // Starting what runs already is not an error (as systemctl start): the reply shows the state.
      const names = await each(d, target, only, (n) => d.registry.start(n));
      if (wait) await steady(names);
      return { tasks: statuses(names) };
    },

    stop: async ({ target, only }) => {
      // A group or --all stops in reverse dependency order (dependents first).
      if (isGroupTarget(target)) {
        const names = namesOf(d, target, only);
        answerGroup(d, target, names, await d.registry.stopMany(names));
        return { tasks: statuses(names) };
      }
      const names = await each(d, target, only, (n) => d.registry.stop(n));
      return { tasks: statuses(names) };
    },

    restart: async ({ target, wait, rolling, stepTimeout, only }) => {
      const names = await each(d, target, only, async (n) => {
        // In a group, tasks that cannot roll (cron) restart as usual; the others roll.
        if (!rolling || (isGroupTarget(target) && !d.registry.rollable(n))) return d.registry.restart(n);
        d.registry.restartRolling(n, stepTimeout ?? DEFAULTS.rollingStepTimeoutMs);
      });
      if (wait) await steady(names);
      return { tasks: statuses(names) };
    },

    run: async ({ task }, conn) => {
      const name = requireSingleTarget(task, 'run');
      // The run record says who asked: the operator of the connection (or the socket's owner).
      const run = await d.registry.run(name, { triggeredBy: conn.identity.operator });
      return { ...(run ? { run } : {}), task: d.registry.status(name) };
    },

    kill: ({ task, signal }) => {
      const name = requireSingleTarget(task, 'kill');
      d.registry.require(name);
      const sig = normalizeSignal(signal ?? 'SIGTERM');
      if (!sig) throw new JobctlError('BAD_REQUEST', `unknown signal "${signal}"; use e.g. SIGTERM, SIGKILL, SIGHUP, SIGUSR1`);
      return { signalled: d.registry.signal(name, sig as NodeJS.Signals) };
    },

    logs: (params, conn) => readLogs(d.registry, subs, params, conn),

    history: ({ task, limit }) => {
      const name = requireSingleTarget(task, 'history');
      return { runs: d.registry.capability(name, 'history').list(limit ?? 20) };
    },

    plan: (p) => (p.dir !== undefined || p.rev !== undefined ? planFrom(d, p) : planOf(d)),

    reload: () => d.reload(),

    subscribe: ({ events, recent }, conn) => {
      const id = subs.id();
      const offs: Array<() => void> = [];
      if (events.includes('state')) {
        const onState = (name: string) => conn.push({ event: 'state', data: d.registry.status(name) });
        const onRemoved = (name: string) => conn.push({ event: 'removed', data: { name } });
        d.registry.on('state', onState);
        d.registry.on('removed', onRemoved);
        const offConfig = d.onConfig(() => conn.push({ event: 'daemon', data: daemonInfo(d) }));
        const unwatch = d.sampler?.watch();
        offs.push(() => {
          unwatch?.();
          d.registry.off('state', onState);
          d.registry.off('removed', onRemoved);
          offConfig();
        });
      }
      if (events.includes('event')) {
        const onEvent = (ev: DaemonEvent) => conn.push({ event: 'event', data: ev });
        d.log.on('event', onEvent);
        offs.push(() => d.log.off('event', onEvent));
      }
      subs.add(id, () => offs.forEach((f) => f()));
      conn.onClose(() => subs.end(id));
      // In the reply, so that they come before every push of the subscription, none twice.
      const backlog = recent && events.includes('event') ? { recent: d.log.events().slice(-recent) } : {};
      return { subscription: id, ...backlog };
    },

    unsubscribe: ({ subscription }) => {
      subs.end(subscription);
      return { ok: true as const };
    },

    scale: async ({ task, count }) => {
      const name = requireSingleTarget(task, 'scale');
      d.registry.capability(name, 'instances');
      await d.scale(name, count);
      return { task: d.registry.status(name) };
    },

    'notify-test': async ({ notifier }) => ({ ok: true as const, status: await d.notifyTest(notifier) }),

    shutdown: ({ now }) => {
      setImmediate(() => d.shutdown(Boolean(now)));
      return { ok: true as const };
    },
  };
}

export async function planOf(d: Pick<HandlerDeps, 'registry' | 'config'>): Promise<PlanResult> {
  const loaded = await d.config.load();
  return planResult(diff(d.registry.specs(), loaded.effective.tasks), loaded.effective.errors, loaded.effective.keptFiles, loaded.effective.elsewhere);
}

/**
 * `plan --rev`/`--dir`: what applying that revision's or directory's tasks would change, by
 * the same load and diff a reload applies (an invalid file there keeps its tasks, as here).
 */
export async function planFrom(d: Pick<HandlerDeps, 'registry' | 'config' | 'paths'>, p: { dir?: string; rev?: string }): Promise<PlanResult> {
  if (p.dir !== undefined && p.rev !== undefined) throw new JobctlError('BAD_REQUEST', 'plan takes --rev or --dir, not both');
  const source = p.rev !== undefined ? await revisionSource(d.paths.tasks, p.rev, d.paths.state) : directorySource(p.dir!);
  try {
    const { effective } = await d.config.load(source.dir);
    const tasks = relocate(effective.tasks, source.dir, d.paths.tasks);
    const elsewhere = relocate(effective.elsewhere, source.dir, d.paths.tasks);
    return { ...planResult(diff(d.registry.specs(), tasks), effective.errors, effective.keptFiles, elsewhere), source: source.label };
  } finally {
    source.close();
  }
}
