import { didYouMean } from '../shared/suggest.js';
import { JobctlError } from '../shared/errors.js';
import { globToRegExp } from '../shared/glob.js';
import type { Identity, Method, Role } from '../shared/protocol.js';
import type { AccessRule } from '../shared/types.js';

/**
 * Rights per operator (docs/access.md): which role a method needs, which tasks a scope
 * covers, and what a target means for a scoped caller. Pure: the socket server calls it at
 * every request with the `access:` of jobctl.yaml as it is then.
 */

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** The least role each method needs. */
export const METHOD_ROLE: Record<Method, Role> = {
  hello: 'viewer', identify: 'viewer', status: 'viewer', logs: 'viewer', history: 'viewer', plan: 'viewer',
  subscribe: 'viewer', unsubscribe: 'viewer',
  start: 'operator', stop: 'operator', restart: 'operator', run: 'operator', kill: 'operator', scale: 'operator',
  reload: 'admin', shutdown: 'admin', 'notify-test': 'admin', audit: 'admin',
};

/** What a refusal says the caller tried: "alice may not stop billing-sync". */
const VERB: Record<Method, string> = {
  hello: 'connect', identify: 'name an operator', status: 'see', logs: 'read the logs of', history: 'read the history of',
  plan: 'see the plan', subscribe: 'subscribe', unsubscribe: 'unsubscribe', start: 'start', stop: 'stop', restart: 'restart',
  run: 'run', kill: 'signal', scale: 'scale', reload: 'reload the tasks', shutdown: 'shut the daemon down',
  'notify-test': 'send a test notification', audit: 'read the audit trail',
};

/** Methods that change something: each is written to the audit trail. */
export function isControl(method: Method): boolean {
  return RANK[METHOD_ROLE[method]] >= RANK.operator;
}

/**
 * Params that need more than their method's role, each with what its refusal says. `plan --dir`
 * reads any directory of the host as the daemon's user (an existence test, and the keys of its
 * YAML files in the plan's errors): a forced command must not reach past the home.
 */
const PARAM_RULES: readonly { method: Method; param: string; role: Role; refusal: string }[] = [
  { method: 'plan', param: 'dir', role: 'admin', refusal: 'plan another directory ({who}); `plan --dir` is for admins, `plan` and `plan --rev` are yours' },
];

function paramRule(method: Method, params: Readonly<Record<string, unknown>>): (typeof PARAM_RULES)[number] | undefined {
  return PARAM_RULES.find((r) => r.method === method && params[r.param] !== undefined);
}

/** The least role one call needs: its method's, or more when a param reaches past the home. */
export function roleNeeded(method: Method, params: Readonly<Record<string, unknown>> = {}): Role {
  const rule = paramRule(method, params);
  return rule && RANK[rule.role] > RANK[METHOD_ROLE[method]] ? rule.role : METHOD_ROLE[method];
}

export function mayCall(role: Role, method: Method, params?: Readonly<Record<string, unknown>>): boolean {
  return RANK[role] >= RANK[roleNeeded(method, params)];
}

/** A task as rights see it. */
export interface TaskRef {
  name: string;
  group: string;
}

/** Which tasks an identity may see and act on: names, globs, `@group`s; none given = all. */
export class Scope {
  private readonly groups = new Set<string>();
  private readonly names: RegExp[] = [];

  constructor(readonly patterns: readonly string[] | undefined) {
    for (const p of patterns ?? []) {
      if (p.startsWith('@')) this.groups.add(p.slice(1));
      else this.names.push(globToRegExp(p));
    }
  }

  get all(): boolean {
    return this.patterns === undefined;
  }

  covers(t: TaskRef): boolean {
    return this.all || this.groups.has(t.group) || this.coversName(t.name);
  }

  /** A whole group (`@billing` in the scope). */
  coversGroup(group: string): boolean {
    return this.all || this.groups.has(group);
  }

  /** By the name alone (a task whose group is not known: removed, or not loaded yet). */
  coversName(name: string): boolean {
    return this.all || this.names.some((re) => re.test(name));
  }
}

export function scopeOf(id: Identity): Scope {
  return new Scope(id.tasks);
}

/** "operator of @reports, report-*", "viewer", "admin". */
export function describeIdentity(id: Identity): string {
  return id.tasks ? `${id.role} of ${id.tasks.join(', ')}` : id.role;
}

/** FORBIDDEN: "alice may not stop billing-sync (operator of @reports)". */
export function forbidden(id: Identity, method: Method, what?: string): JobctlError {
  return new JobctlError('FORBIDDEN', `${id.operator} may not ${VERB[method]}${what ? ` ${what}` : ''} (${describeIdentity(id)})`);
}

/**
 * Who a connection is now. No claim: the socket's owner, admin. A claim (the SSH forced
 * command's `--as NAME`) is looked up in `access:` as it is now; an unknown name is refused.
 */
export function resolveIdentity(claim: string | undefined, owner: string, access: Readonly<Record<string, AccessRule>> | undefined): Identity {
  if (claim === undefined) return { operator: owner, role: 'admin' };
  const rule = access && Object.hasOwn(access, claim) ? access[claim] : undefined;
  if (!rule) {
    throw new JobctlError('FORBIDDEN', `unknown operator "${claim}": not in access: of jobctl.yaml on this host; an admin of the host adds it there (see docs/access.md)`);
  }
  return { operator: claim, role: rule.role, ...(rule.tasks ? { tasks: [...rule.tasks] } : {}) };
}

/**
 * The one rights check of a call's method and params: FORBIDDEN when the role is short, saying
 * which param asked for more when the method alone would have been allowed.
 */
export function checkRole(id: Identity, method: Method, params: Readonly<Record<string, unknown>> = {}, what?: string): void {
  if (mayCall(id.role, method, params)) return;
  const rule = mayCall(id.role, method) ? paramRule(method, params) : undefined;
  if (rule) throw new JobctlError('FORBIDDEN', `${id.operator} may not ${rule.refusal.replace('{who}', describeIdentity(id))}`);
  throw forbidden(id, method, what);
}

/** A target narrowed to a scope: the tasks to act on, and how many of the target's were left out. */
export interface Narrowed {
  names: string[];
  outOfScope: number;
}

/**
 * What a target (name, `@group`, `*`) means for a scoped identity. A task outside the scope
 * is FORBIDDEN whether or not it exists, and a misspelt name gets suggestions from the scope
 * only, so a refusal never tells a name outside it. A group or `*` acts on what the scope
 * covers and counts the rest; a group with nothing in scope is FORBIDDEN (existing or not).
 */
export function narrowTarget(id: Identity, method: Method, target: string, tasks: readonly TaskRef[]): Narrowed {
  const scope = scopeOf(id);
  if (target === '*' || target.startsWith('@')) {
    const all = target === '*' ? tasks : tasks.filter((t) => t.group === target.slice(1));
    const names = all.filter((t) => scope.covers(t)).map((t) => t.name).sort();
    if (!names.length && (target !== '*' || method !== 'status')) throw forbidden(id, method, target === '*' ? 'any task' : target);
    return { names, outOfScope: all.length - names.length };
  }
  const task = tasks.find((t) => t.name === target);
  if (task && scope.covers(task)) return { names: [target], outOfScope: 0 };
  if (!task && scope.coversName(target)) {
    const visible = tasks.filter((t) => scope.covers(t)).map((t) => t.name);
    throw new JobctlError('NOT_FOUND', `no task named "${target}"${didYouMean(target, visible)}; \`jobctl status\` lists yours`);
  }
  throw forbidden(id, method, target);
}
