import type { DaemonInfo, ElsewhereTask, ErrorBody, PlanResult, PushMessage, StatusResult, TaskStatus } from '../shared/protocol.js';
import type { ConfigIssue } from '../shared/types.js';
import type { Scope, TaskRef } from './access.js';

/**
 * What a scoped connection is shown (docs/access.md): results and pushes cut to the tasks
 * of its scope, so it never learns the name of a task outside it. Daemon-wide lines that may
 * name any task (warnings, kept files, events without a task) are left out. Pure.
 */

/** The group of a task file's problem: `tasks/billing.yaml` -> billing; undefined for other files. */
function groupOfFile(file: string): string | undefined {
  const m = /(?:^|\/)tasks\/(?:.*\/)?([^/]+)\.ya?ml$/.exec(file);
  return m?.[1];
}

/** What stands in for the name of a task outside the scope in a line that names it. */
export const HIDDEN_TASK = 'a task outside your rights';

/** Finds a loaded task's group by name (undefined: no such task). */
export type GroupOf = (name: string) => string | undefined;

/** A GroupOf over a list of tasks. */
export function groupsOf(tasks: readonly TaskRef[]): GroupOf {
  const groups = new Map(tasks.map((t) => [t.name, t.group]));
  return (name) => groups.get(name);
}

/**
 * A line as a scoped connection may read it: every name of a loaded task outside the scope
 * replaced (a wait reason, an event, an error, a "did you mean" or a cycle in a file of the
 * scope may name a dependency in another group). `asked`: the name the caller gave itself,
 * which is no news to it ("alice may not stop billing-sync").
 */
export function redactNames(scope: Scope, text: string, groupOf: GroupOf, asked?: string): string {
  if (scope.all) return text;
  const out = text.replace(/[a-z0-9][a-z0-9._-]*/g, (word) => {
    const name = word.replace(/\.+$/, '');
    if (name === asked) return word;
    const group = groupOf(name);
    return group === undefined || scope.covers({ name, group }) ? word : HIDDEN_TASK + word.slice(name.length);
  });
  // "waiting for NAME: not loaded": a dependency that is no loaded task is judged by its name.
  return out.replace(/^waiting for ([^:\s]+):/, (all, dep: string) => (dep === HIDDEN_TASK || scope.coversName(dep) ? all : `waiting for ${HIDDEN_TASK}:`));
}

/**
 * A task of the scope: the lines the daemon wrote about it may name a task outside the scope
 * (why it waits, how a rolling restart or a run ended). Its own log lines (`details`) are the
 * task's output, which the caller may read anyway with `logs`: kept as they are.
 */
export function scopedTask(scope: Scope, t: TaskStatus, groupOf: GroupOf): TaskStatus {
  if (scope.all) return t;
  const line = (s: string) => redactNames(scope, s, groupOf, t.name);
  const run = <R extends { message?: string }>(r: R): R => (r.message === undefined ? r : { ...r, message: line(r.message) });
  const waiting = t.waiting !== undefined ? { waiting: line(t.waiting) } : {};
  if (t.kind === 'service') return { ...t, ...waiting, ...(t.rolling ? { rolling: run(t.rolling) } : {}) };
  return {
    ...t,
    ...waiting,
    ...(t.lastRun ? { lastRun: run(t.lastRun) } : {}),
    ...(t.activeRuns ? { activeRuns: t.activeRuns.map(run) } : {}),
  };
}

/**
 * An error as a scoped connection may read it: its message redacted (but for `asked`, the
 * target the call named), a group's statuses cut to the scope.
 */
export function scopedError(scope: Scope, error: ErrorBody, groupOf: GroupOf, asked?: string): ErrorBody {
  if (scope.all) return error;
  const data = error.data as { tasks?: unknown } | undefined;
  const statuses = data && Array.isArray(data.tasks) ? { data: { ...data, tasks: (data.tasks as TaskStatus[]).filter((t) => scope.covers(t)).map((t) => scopedTask(scope, t, groupOf)) } } : {};
  return { ...error, message: redactNames(scope, error.message, groupOf, asked), ...statuses };
}

export function issueVisible(scope: Scope, issue: ConfigIssue): boolean {
  if (scope.all) return true;
  const group = groupOfFile(issue.file);
  if (group === undefined) return false;
  return issue.task !== undefined ? scope.covers({ name: issue.task, group }) : scope.coversGroup(group);
}

function scopedIssues(scope: Scope, issues: readonly ConfigIssue[], groupOf: GroupOf): ConfigIssue[] {
  return issues.filter((e) => issueVisible(scope, e)).map((e) => ({ ...e, message: redactNames(scope, e.message, groupOf) }));
}

export function scopedDaemonInfo(scope: Scope, info: DaemonInfo, groupOf: GroupOf): DaemonInfo {
  if (scope.all) return info;
  const { keptFiles: _kept, xxljob, ...rest } = info;
  // The executor's newest problem may name the task a job triggered ("no task for handler …").
  const x = xxljob?.lastError !== undefined ? { xxljob: { ...xxljob, lastError: redactNames(scope, xxljob.lastError, groupOf) } } : xxljob ? { xxljob } : {};
  return { ...rest, ...x, configErrors: scopedIssues(scope, info.configErrors, groupOf), warnings: [] };
}

function scopedElsewhere(scope: Scope, list: ElsewhereTask[] | undefined): { elsewhere?: ElsewhereTask[] } {
  if (!list) return {};
  return { elsewhere: list.filter((t) => scope.covers(t)) };
}

/** `groupOf`: every loaded task's group (a status cut to the scope lists only the scope's). */
export function scopedStatus(scope: Scope, r: StatusResult, groupOf: GroupOf): StatusResult {
  if (scope.all) return r;
  const { elsewhere, ...rest } = r;
  const tasks = r.tasks.filter((t) => scope.covers(t)).map((t) => scopedTask(scope, t, groupOf));
  return { ...rest, daemon: scopedDaemonInfo(scope, r.daemon, groupOf), tasks, ...scopedElsewhere(scope, elsewhere) };
}

/** A plan: names whose group is unknown (added tasks) are judged by name. */
export function scopedPlan(scope: Scope, r: PlanResult, tasks: readonly TaskRef[]): PlanResult {
  if (scope.all) return r;
  const groupOf = groupsOf(tasks);
  const sees = (name: string) => {
    const group = groupOf(name);
    return group === undefined ? scope.coversName(name) : scope.covers({ name, group });
  };
  const removed = r.removed.filter(sees);
  const changed = r.changed.filter((c) => sees(c.name));
  const mine = tasks.filter((t) => scope.covers(t)).length;
  const { keptFiles: _kept, elsewhere, ...rest } = r;
  return {
    ...rest,
    added: r.added.filter(sees),
    removed,
    changed,
    unchanged: Math.max(0, mine - removed.length - changed.length),
    errors: scopedIssues(scope, r.errors, groupOf),
    ...scopedElsewhere(scope, elsewhere),
  };
}

/**
 * A push as this connection may see it, or undefined to leave it out. `groupOf` finds a
 * loaded task's group; `seen` holds the names this connection was shown (a removed task's
 * group is gone with it).
 */
export function scopedPush(scope: Scope, msg: PushMessage, groupOf: GroupOf, seen: ReadonlySet<string>): PushMessage | undefined {
  if (scope.all) return msg;
  const sees = (name: string) => {
    const group = groupOf(name);
    return group === undefined ? scope.coversName(name) : scope.covers({ name, group });
  };
  switch (msg.event) {
    case 'state':
      return scope.covers(msg.data) ? { event: 'state', data: scopedTask(scope, msg.data, groupOf) } : undefined;
    case 'removed':
      return seen.has(msg.data.name) || scope.coversName(msg.data.name) ? msg : undefined;
    case 'daemon':
      return { event: 'daemon', data: scopedDaemonInfo(scope, msg.data, groupOf) };
    case 'event':
      return msg.data.task !== undefined && sees(msg.data.task) ? { event: 'event', data: { ...msg.data, message: redactNames(scope, msg.data.message, groupOf) } } : undefined;
    case 'log':
      return sees(msg.data.task) ? msg : undefined;
    default:
      return msg;
  }
}
