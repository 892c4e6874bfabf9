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

/**
 * A line as a scoped connection may read it: every name of a loaded task outside the scope
 * replaced (a wait reason, an event or an error may name a dependency in another group).
 */
export function redactNames(scope: Scope, text: string, tasks: readonly TaskRef[], asked?: string): string {
  if (scope.all) return text;
  // The name the caller gave itself is no news to it ("alice may not stop billing-sync").
  const hidden = new Set(tasks.filter((t) => !scope.covers(t) && t.name !== asked).map((t) => t.name));
  const out = text.replace(/[a-z0-9][a-z0-9._-]*/g, (w) => {
    const bare = w.replace(/\.+$/, '');
    return hidden.has(bare) ? HIDDEN_TASK + w.slice(bare.length) : w;
  });
  // "waiting for NAME: not loaded": a dependency that is no loaded task is judged by its name.
  return out.replace(/^waiting for ([^:\s]+):/, (all, dep: string) => (dep === HIDDEN_TASK || scope.coversName(dep) ? all : `waiting for ${HIDDEN_TASK}:`));
}

function redactStatus(scope: Scope, t: TaskStatus, tasks: readonly TaskRef[]): TaskStatus {
  return t.waiting === undefined ? t : { ...t, waiting: redactNames(scope, t.waiting, tasks) };
}

/**
 * An error as a scoped connection may read it: its message redacted (but for `asked`, the
 * target the call named), a group's statuses cut to the scope.
 */
export function scopedError(scope: Scope, error: ErrorBody, tasks: readonly TaskRef[], asked?: string): ErrorBody {
  if (scope.all) return error;
  const data = error.data as { tasks?: unknown } | undefined;
  const statuses = data && Array.isArray(data.tasks) ? { data: { ...data, tasks: (data.tasks as TaskStatus[]).filter((t) => scope.covers(t)).map((t) => redactStatus(scope, t, tasks)) } } : {};
  return { ...error, message: redactNames(scope, error.message, tasks, asked), ...statuses };
}

export function issueVisible(scope: Scope, issue: ConfigIssue): boolean {
  if (scope.all) return true;
  const group = groupOfFile(issue.file);
  if (group === undefined) return false;
  return issue.task !== undefined ? scope.covers({ name: issue.task, group }) : scope.coversGroup(group);
}

export function scopedDaemonInfo(scope: Scope, info: DaemonInfo): DaemonInfo {
  if (scope.all) return info;
  const { keptFiles: _kept, ...rest } = info;
  return { ...rest, configErrors: info.configErrors.filter((e) => issueVisible(scope, e)), warnings: [] };
}

function scopedElsewhere(scope: Scope, list: ElsewhereTask[] | undefined): { elsewhere?: ElsewhereTask[] } {
  if (!list) return {};
  return { elsewhere: list.filter((t) => scope.covers(t)) };
}

/** `tasks`: the loaded tasks, to take the names outside the scope out of the lines shown. */
export function scopedStatus(scope: Scope, r: StatusResult, tasks: readonly TaskRef[] = r.tasks): StatusResult {
  if (scope.all) return r;
  const { elsewhere, ...rest } = r;
  const shown = r.tasks.filter((t) => scope.covers(t)).map((t) => redactStatus(scope, t, tasks));
  return { ...rest, daemon: scopedDaemonInfo(scope, r.daemon), tasks: shown, ...scopedElsewhere(scope, elsewhere) };
}

/** A plan: names whose group is unknown (added tasks) are judged by name. */
export function scopedPlan(scope: Scope, r: PlanResult, tasks: readonly TaskRef[]): PlanResult {
  if (scope.all) return r;
  const groups = new Map(tasks.map((t) => [t.name, t.group]));
  const sees = (name: string) => {
    const group = groups.get(name);
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
    errors: r.errors.filter((e) => issueVisible(scope, e)),
    ...scopedElsewhere(scope, elsewhere),
  };
}

/**
 * A push as this connection may see it, or undefined to leave it out. `groupOf` finds a
 * loaded task's group; `seen` holds the names this connection was shown (a removed task's
 * group is gone with it).
 */
export function scopedPush(
  scope: Scope, msg: PushMessage, groupOf: (name: string) => string | undefined, seen: ReadonlySet<string>, tasks: () => readonly TaskRef[] = () => [],
): PushMessage | undefined {
  if (scope.all) return msg;
  const sees = (name: string) => {
    const group = groupOf(name);
    return group === undefined ? scope.coversName(name) : scope.covers({ name, group });
  };
  switch (msg.event) {
    case 'state':
      return scope.covers(msg.data) ? { event: 'state', data: redactStatus(scope, msg.data, tasks()) } : undefined;
    case 'removed':
      return seen.has(msg.data.name) || scope.coversName(msg.data.name) ? msg : undefined;
    case 'daemon':
      return { event: 'daemon', data: scopedDaemonInfo(scope, msg.data) };
    case 'event':
      return msg.data.task !== undefined && sees(msg.data.task) ? { event: 'event', data: { ...msg.data, message: redactNames(scope, msg.data.message, tasks()) } } : undefined;
    case 'log':
      return sees(msg.data.task) ? msg : undefined;
    default:
      return msg;
  }
}
