import type { Connection, Handlers } from '../api/server.js';
import { diff } from '../config/diff.js';
import { DEFAULTS } from '../config/defaults.js';
import { mergeByTime, tailRotated, lineTime } from '../runtime/log-read.js';
import type { LogSink } from '../runtime/log-sink.js';
import { JobctlError } from '../shared/errors.js';
import type { HomePaths } from '../shared/paths.js';
import type { DaemonEvent, DaemonInfo, PlanResult, TaskStatus } from '../shared/protocol.js';
import { PROTOCOL } from '../shared/protocol.js';
import { normalizeSignal } from '../shared/signals.js';
import { VERSION } from '../shared/version.js';
import type { ConfigState } from './config-state.js';
import type { DaemonLog } from './logger.js';
import type { TaskRegistry } from './registry.js';
import { resolveTargets } from './targets.js';

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
  /** Subscribe to config changes (reloads); returns the unsubscribe function. */
  onConfig: (fn: () => void) => () => void;
  /** `jobctl scale`: set a manual count, or go back to auto. */
  scale: (task: string, count: number | 'auto') => Promise<void>;
  /** `jobctl notify test`: send a test message; resolves with the HTTP status. */
  notifyTest: (notifier: string) => Promise<number>;
}

export function daemonInfo(d: HandlerDeps): DaemonInfo {
  const lastReloadAt = d.lastReloadAt();
  return {
    pid: process.pid, version: VERSION, home: d.home, tasksDir: d.paths.tasks, startedAt: d.startedAt,
    configErrors: d.config.effective.errors,
    ...(lastReloadAt !== undefined ? { lastReloadAt } : {}),
    warnings: d.log.warnings(),
  };
}

/** Waits until none of the tasks has an instance still starting or stopping (bounded). */
async function settle(d: HandlerDeps, names: string[]): Promise<void> {
  const limit = Date.now() + 5000 + Math.max(0, ...names.map((n) => {
    const s = d.registry.get(n);
    return s?.kind === 'daemon' ? s.startMs + s.stopTimeoutMs : 0;
  }));
  const busy = (s: TaskStatus) => (s.instances ?? []).some((i) => i.state === 'starting' || i.state === 'stopping');
  while (Date.now() < limit && names.some((n) => d.registry.get(n) && busy(d.registry.status(n)))) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

function each(d: HandlerDeps, target: string, fn: (name: string) => void | Promise<void>): Promise<string[]> {
  const names = resolveTargets(target, d.registry.specs());
  const single = names.length === 1 && !target.startsWith('@') && target !== '*';
  return (async () => {
    const errors: string[] = [];
    await Promise.all(names.map(async (n) => {
      try {
        await fn(n);
      } catch (e) {
        // For one task the error is the answer; for a group, others still go.
        if (single) throw e;
        errors.push(`${n}: ${(e as Error).message}`);
      }
    }));
    if (errors.length) d.log.warn(`${target}: ${errors.join('; ')}`);
    return names;
  })();
}

/** Subscriptions of one daemon: their ids and how to end each. */
class Subscriptions {
  private next = 1;
  private readonly offs = new Map<number, () => void>();
  id(): number {
    return this.next++;
  }
  add(id: number, off: () => void): void {
    this.offs.set(id, off);
  }
  end(id: number): void {
    const off = this.offs.get(id);
    if (off) {
      this.offs.delete(id);
      off();
    }
  }
}

export function makeHandlers(d: HandlerDeps): Handlers {
  const subs = new Subscriptions();
  const statuses = (names: string[]) => names.filter((n) => d.registry.get(n)).map((n) => d.registry.status(n));
  const spec = (task: string) => {
    const s = d.registry.get(task);
    if (!s) resolveTargets(task, d.registry.specs()); // throws NOT_FOUND with a suggestion
    return s!;
  };

  return {
    hello: () => ({ protocol: PROTOCOL, version: VERSION, pid: process.pid, home: d.home, startedAt: d.startedAt }),

    status: ({ target }) => {
      const names = target ? resolveTargets(target, d.registry.specs()) : d.registry.specs().map((s) => s.name).sort();
      return { daemon: daemonInfo(d), tasks: statuses(names) };
    },

    start: async ({ target, wait }) => {
      // Starting what runs already is not an error (as systemctl start): the reply shows the state.
      const names = await each(d, target, (n) => d.registry.start(n));
      if (wait) await settle(d, names);
      return { tasks: statuses(names) };
    },

    stop: async ({ target }) => {
      // Several tasks stop in reverse dependency order; one task (or a failure) answers as before.
      const names = resolveTargets(target, d.registry.specs());
      if (names.length > 1) await d.registry.stopMany(names);
      else await each(d, target, (n) => d.registry.stop(n));
      return { tasks: statuses(names) };
    },

    restart: async ({ target, wait, rolling, stepTimeout }) => {
      const names = await each(d, target, (n) => {
        // In a group, cron tasks restart as usual; daemon tasks roll.
        if (!rolling || (d.registry.get(n)?.kind === 'cron' && resolveTargets(target, d.registry.specs()).length > 1)) return d.registry.restart(n);
        d.registry.restartRolling(n, stepTimeout ?? DEFAULTS.rollingStepTimeoutMs);
      });
      if (wait) await settle(d, names);
      return { tasks: statuses(names) };
    },

    run: ({ task }) => {
      spec(task);
      const run = d.registry.run(task);
      return { ...(run ? { run } : {}), task: d.registry.status(task) };
    },

    kill: ({ task, signal }) => {
      spec(task);
      const sig = normalizeSignal(signal ?? 'SIGTERM');
      if (!sig) throw new JobctlError('BAD_REQUEST', `unknown signal "${signal}"; use e.g. SIGTERM, SIGKILL, SIGHUP, SIGUSR1`);
      return { signalled: d.registry.kill(task, sig as NodeJS.Signals) };
    },

    logs: (params, conn) => logs(d, subs, params, conn),

    history: ({ task, limit }) => {
      const s = spec(task);
      const cron = d.registry.cronTask(task);
      if (!cron) throw new JobctlError('WRONG_KIND', `task "${s.name}" is a daemon task; history is kept for cron tasks (see \`jobctl logs ${s.name}\`)`);
      return { runs: cron.history(limit ?? 20) };
    },

    plan: () => planOf(d),

    reload: () => d.reload(),

    subscribe: ({ events }, conn) => {
      const id = subs.id();
      const offs: Array<() => void> = [];
      if (events.includes('state')) {
        const onState = (name: string) => conn.push({ event: 'state', data: d.registry.status(name) });
        const onRemoved = (name: string) => conn.push({ event: 'removed', data: { name } });
        d.registry.on('state', onState);
        d.registry.on('removed', onRemoved);
        const offConfig = d.onConfig(() => conn.push({ event: 'daemon', data: daemonInfo(d) }));
        offs.push(() => {
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
      return { subscription: id };
    },

    unsubscribe: ({ subscription }) => {
      subs.end(subscription);
      return { ok: true as const };
    },

    scale: async ({ task, count }) => {
      const s = spec(task);
      if (s.kind !== 'daemon') throw new JobctlError('WRONG_KIND', `task "${task}" is a cron task; scale applies to daemon tasks`);
      await d.scale(task, count);
      return { task: d.registry.status(task) };
    },

    'notify-test': async ({ notifier }) => ({ ok: true as const, status: await d.notifyTest(notifier) }),

    shutdown: ({ now }) => {
      setImmediate(() => d.shutdown(Boolean(now)));
      return { ok: true as const };
    },
  };
}

export function planOf(d: Pick<HandlerDeps, 'registry' | 'config'>): PlanResult {
  const loaded = d.config.load();
  const delta = diff(d.registry.specs(), loaded.effective.tasks);
  return {
    added: delta.added.map((t) => t.name),
    removed: delta.removed.map((t) => t.name),
    changed: delta.changed.map((c) => ({ name: c.after.name, keys: c.keys })),
    unchanged: delta.unchanged.length,
    errors: loaded.effective.errors,
  };
}

function logs(d: HandlerDeps, subs: Subscriptions, p: { task: string; lines?: number | undefined; instance?: number | undefined; run?: string | undefined; since?: number | undefined; follow?: boolean | undefined }, conn: Connection) {
  const s = d.registry.get(p.task);
  if (!s) resolveTargets(p.task, d.registry.specs());
  const n = p.lines ?? 50;
  const keep = (lines: string[]) => {
    const since = p.since;
    const filtered = since === undefined ? lines : lines.filter((l) => (lineTime(l) ?? Infinity) >= since);
    return filtered.slice(-n);
  };
  const sub = p.follow ? subs.id() : undefined;
  const offs: Array<() => void> = [];
  const follow = (sink: LogSink, where: { instance?: number; run?: string }) => {
    if (sub === undefined) return;
    const onData = (buf: Buffer) => conn.push({ event: 'log', data: { subscription: sub, task: p.task, ...where, text: buf.toString('utf8') } });
    sink.on('data', onData);
    offs.push(() => sink.off('data', onData));
  };

  let result: { lines: string[]; files: string[] };
  const daemon = d.registry.daemonTask(p.task);
  if (daemon) {
    if (p.run !== undefined) throw new JobctlError('WRONG_KIND', `task "${p.task}" is a daemon task; --run is for cron tasks`);
    const count = daemon.instanceCount;
    if (p.instance !== undefined && p.instance >= Math.max(count, 1)) {
      throw new JobctlError('NOT_FOUND', `task "${p.task}" has ${count} instance${count === 1 ? '' : 's'} (0..${Math.max(0, count - 1)})`);
    }
    const indexes = p.instance !== undefined ? [p.instance] : Array.from({ length: count }, (_, i) => i);
    // Recent lines come from the in-memory ring when it holds enough; else from the files.
    const parts = indexes.map((i) => {
      const file = d.paths.instanceLog(p.task, i);
      const ring = daemon.sink(i)?.tail.lines(n) ?? [];
      return ring.length >= n && p.since === undefined ? { lines: ring, files: [file] } : tailRotated(file, n);
    });
    result = { lines: keep(mergeByTime(parts.map((x) => x.lines))), files: parts.flatMap((x) => x.files) };
    for (const i of indexes) {
      const sink = daemon.sink(i);
      if (sink) follow(sink, indexes.length > 1 ? { instance: i } : {});
    }
  } else {
    const cron = d.registry.cronTask(p.task)!;
    const runs = cron.history();
    let runId: string | undefined;
    if (p.run === undefined || p.run === 'last') runId = [...runs].reverse().find((r) => r.startedAt !== undefined)?.id;
    else {
      runId = runs.find((r) => r.id === p.run || r.id.startsWith(p.run!))?.id;
      if (!runId) throw new JobctlError('NOT_FOUND', `task "${p.task}" has no run "${p.run}"; \`jobctl history ${p.task}\` lists them`);
    }
    const file = runId ? d.paths.runLog(p.task, runId) : undefined;
    const part = file ? tailRotated(file, n) : { lines: [], files: [] };
    result = { lines: keep(part.lines), files: part.files };
    if (sub !== undefined) {
      const explicit = p.run !== undefined && p.run !== 'last';
      const active = runId ? cron.sinkOf(runId) : undefined;
      if (explicit) {
        // Follow that run to its end.
        if (active) {
          follow(active, { run: runId! });
          const onRun = (r: { id: string; state: string }) => {
            if (r.id === runId && r.state !== 'running' && r.state !== 'queued') {
              conn.push({ event: 'log-end', data: { subscription: sub, reason: `run ${r.id} ${r.state}` } });
              subs.end(sub);
            }
          };
          cron.on('run', onRun);
          offs.push(() => cron.off('run', onRun));
        } else {
          setImmediate(() => conn.push({ event: 'log-end', data: { subscription: sub, reason: `run ${runId} has ended` } }));
        }
      } else {
        // Follow the task: the run under way and every run that starts.
        if (active) follow(active, { run: runId! });
        const onSink = (id: string, sink: LogSink) => follow(sink, { run: id });
        cron.on('sink', onSink);
        offs.push(() => cron.off('sink', onSink));
      }
    }
  }
  if (sub !== undefined) {
    subs.add(sub, () => offs.forEach((f) => f()));
    conn.onClose(() => subs.end(sub));
    return { ...result, subscription: sub };
  }
  return result;
}
