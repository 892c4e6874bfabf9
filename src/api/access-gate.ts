import { checkRole, isControl, narrowTarget, resolveIdentity, scopeOf, type TaskRef } from '../core/access.js';
import { scopedError, scopedPlan, scopedPush, scopedStatus, scopedTask } from '../core/access-view.js';
import { JobctlError } from '../shared/errors.js';
import type { AuditEntry, ControlResult, DaemonEvent, ErrorBody, Identity, Method, PlanResult, PushMessage, StatusResult, TaskStatus } from '../shared/protocol.js';
import type { AccessRule } from '../shared/types.js';

/** What the server knows to judge rights: `access:` now, the tasks loaded now, the socket's owner. */
export interface AccessSource {
  /** The identity of a connection that names no operator (the owner-only socket): this OS user. */
  owner: string;
  rules(): Readonly<Record<string, AccessRule>> | undefined;
  tasks(): readonly TaskRef[];
  groupOf(name: string): string | undefined;
}

/** A call let through: the params its handler gets (narrowed to the scope) and what was left out. */
export interface Admitted {
  identity: Identity;
  params: Record<string, unknown>;
  /** The tasks a target came to within the scope (scoped connections). */
  targets?: string[];
  outOfScope?: number;
}

/**
 * Refusals one connection may add to the audit trail. The trail is bounded (its older half
 * goes past 4 MiB), so a key that is refused at every call (an operator taken out of
 * `access:`) must not be able to push everyone's control calls out of it by calling in a loop.
 */
export const REFUSALS_RECORDED = 20;

const isGroup = (t: string) => t === '*' || t.startsWith('@');
/** Methods whose `target` may be a group, narrowed for a scoped caller. */
const TARGETED = new Set<Method>(['status', 'start', 'stop', 'restart']);
/** Methods of one task (`task`). */
const ONE_TASK = new Set<Method>(['run', 'kill', 'logs', 'history', 'scale']);

/** What a call names, for refusals and the audit trail. */
export function targetOf(params: Record<string, unknown>): string | undefined {
  const t = params.target ?? params.task ?? params.notifier;
  return typeof t === 'string' ? t : undefined;
}

/**
 * The rights of one connection, checked at every call in the server's dispatch: who it is
 * (named once by `identify`, looked up in `access:` as it is at each call, so an edit applies
 * to open connections too), what it may call, and what of the results and pushes it may see.
 */
export class ConnectionAccess {
  private claim: { operator: string; from?: string } | undefined;
  private last: Identity | undefined;
  /** Task names this connection was shown (a `removed` push for them may follow). */
  private readonly seen = new Set<string>();
  /** Subscriptions opened on this connection: an identified one may end only these. */
  private readonly subscriptions = new Set<number>();
  private helloRefused = false;
  /** Refusals recorded for this connection (at most REFUSALS_RECORDED). */
  private refusals = 0;

  constructor(private readonly src: AccessSource) {}

  /** Where the operator connects from (SSH_CONNECTION, given by the bridge). */
  get from(): string | undefined {
    return this.claim?.from;
  }

  /** The identity as of the last call (for handlers and the audit trail). */
  get current(): Identity {
    return this.last ?? { operator: this.claim?.operator ?? this.src.owner, role: this.claim ? 'viewer' : 'admin' };
  }

  /** Who made a call that was refused before it was admitted: an operator not in `access:` is `unknown`, not a role it never had. */
  private auditIdentity(): { operator: string; role: AuditEntry['role'] } {
    try {
      return this.identity();
    } catch {
      return { operator: this.claim?.operator ?? this.src.owner, role: 'unknown' };
    }
  }

  /** Who this connection is now; FORBIDDEN for an operator that is not in `access:` (any more). */
  identity(): Identity {
    this.last = resolveIdentity(this.claim?.operator, this.src.owner, this.src.rules());
    return this.last;
  }

  /**
   * Names the operator: once per connection, so a client behind `dial-stdio --as NAME` cannot
   * name another, and a named connection never goes back to the owner's rights.
   */
  identify(operator: string, from: string | undefined): Identity {
    if (this.claim) {
      throw new JobctlError('FORBIDDEN', `this connection is operator ${this.claim.operator} already: the operator is named once per connection (by the SSH key's forced command \`jobctl dial-stdio --as NAME\`)`);
    }
    this.claim = { operator, ...(from ? { from } : {}) };
    return this.identity();
  }

  /** The rights check of one call: FORBIDDEN, or the params narrowed to the scope. */
  admit(method: Method, params: Record<string, unknown>): Admitted {
    const identity = this.identity();
    const target = targetOf(params);
    checkRole(identity, method, params, method === 'notify-test' ? undefined : target === '*' ? 'every task' : target);
    if (method === 'unsubscribe' && this.claim && !this.subscriptions.has(params.subscription as number)) {
      throw new JobctlError('NOT_FOUND', `no subscription ${String(params.subscription)} on this connection`);
    }
    if (!identity.tasks) return { identity, params };
    if (TARGETED.has(method)) {
      const n = narrowTarget(identity, method, target ?? '*', this.src.tasks());
      return { identity, params: { ...params, only: n.names }, targets: n.names, outOfScope: n.outOfScope };
    }
    if (ONE_TASK.has(method) && target !== undefined && !isGroup(target)) {
      const n = narrowTarget(identity, method, target, this.src.tasks());
      return { identity, params, targets: n.names, outOfScope: 0 };
    }
    return { identity, params };
  }

  /** A result as this connection may see it. */
  shape(method: Method, result: unknown, call: Admitted): unknown {
    const scope = scopeOf(call.identity);
    const groupOf = (n: string) => this.src.groupOf(n);
    switch (method) {
      case 'hello':
        return { ...(result as object), identity: call.identity };
      case 'status': {
        const r = scopedStatus(scope, result as StatusResult, groupOf);
        for (const t of r.tasks) this.seen.add(t.name);
        return r;
      }
      case 'plan':
      case 'reload':
        return scopedPlan(scope, result as PlanResult, this.src.tasks());
      case 'start':
      case 'stop':
      case 'restart': {
        const r = result as ControlResult;
        const tasks = scope.all ? r.tasks : r.tasks.map((t) => scopedTask(scope, t, groupOf));
        return { ...r, tasks, ...(call.outOfScope ? { outOfScope: call.outOfScope } : {}) };
      }
      case 'run':
      case 'scale': {
        const r = result as { task: TaskStatus };
        return scope.all ? r : { ...r, task: scopedTask(scope, r.task, groupOf) };
      }
      case 'subscribe':
      case 'logs': {
        const r = result as { subscription?: number; recent?: DaemonEvent[] };
        if (r.subscription !== undefined) this.subscriptions.add(r.subscription);
        if (!r.recent || scope.all) return result;
        // The backlog as its pushes would have been shown.
        const recent = r.recent.flatMap((e) => {
          const shown = scopedPush(scope, { event: 'event', data: e }, groupOf, this.seen);
          return shown?.event === 'event' ? [shown.data] : [];
        });
        return { ...r, recent };
      }
      default:
        return result;
    }
  }

  /** A refusal or failure as this connection may read it: names outside its scope taken out. */
  shapeError(error: ErrorBody, params: Record<string, unknown>): ErrorBody {
    return this.last?.tasks ? scopedError(scopeOf(this.last), error, (n) => this.src.groupOf(n), targetOf(params)) : error;
  }

  /** A push as this connection may see it, or undefined (left out). */
  push(msg: PushMessage): PushMessage | undefined {
    let identity: Identity;
    try {
      identity = this.identity();
    } catch {
      // No rights any more: only what ends a stream still goes.
      return msg.event === 'log-end' || msg.event === 'dropped' ? msg : undefined;
    }
    const shown = scopedPush(scopeOf(identity), msg, (n) => this.src.groupOf(n), this.seen);
    if (shown?.event === 'state') this.seen.add(shown.data.name);
    return shown;
  }

  /** The audit line of a call, or undefined for a call that is not audited (reads that were let through). */
  auditEntry(method: Method, params: Record<string, unknown>, call: Admitted | undefined, error: ErrorBody | undefined): AuditEntry | undefined {
    if (!isControl(method) && error?.code !== 'FORBIDDEN') return undefined;
    // A client pings with hello: a refused operator's open connection is recorded once.
    if (method === 'hello' && error) {
      if (this.helloRefused) return undefined;
      this.helloRefused = true;
    }
    let last = '';
    if (error?.code === 'FORBIDDEN') {
      if (++this.refusals > REFUSALS_RECORDED) return undefined;
      if (this.refusals === REFUSALS_RECORDED) last = ` (refusal ${REFUSALS_RECORDED} of this connection: later ones are not recorded)`;
    }
    const id = call?.identity ?? this.auditIdentity();
    const target = method === 'identify' ? (params.operator as string) : targetOf(params);
    return {
      at: Date.now(), operator: id.operator, role: id.role, ...(this.from ? { from: this.from } : {}), method,
      ...(target !== undefined ? { target } : {}),
      ...(call?.targets ? { tasks: call.targets } : {}),
      ...(call?.outOfScope ? { outOfScope: call.outOfScope } : {}),
      result: error ? 'error' : 'ok',
      ...(error ? { code: error.code, message: error.message + last } : {}),
    };
  }
}
