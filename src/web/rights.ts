import type { HelloResult } from '../shared/protocol.js';

/**
 * Who a connection is, as the daemon's `hello` says (issue 25: `HelloResult.identity`, the same
 * shape). Read defensively: a daemon from before rights sends none.
 */
export interface Identity {
  operator: string;
  role: 'viewer' | 'operator' | 'admin';
  /** The task names, globs and `@group`s the operator may see and act on; absent: every task. */
  tasks?: string[];
}

/** A daemon that says nothing of rights (before issue 25, or the local socket) grants admin. */
export const ADMIN: Identity = { operator: 'owner', role: 'admin' };

const RANK: Record<Identity['role'], number> = { viewer: 0, operator: 1, admin: 2 };

/** The identity a `hello` answer names; a missing one (a daemon from before rights) is admin. */
export function identityOf(hello: HelloResult): Identity {
  const id = (hello as HelloResult & { identity?: Identity }).identity;
  return id && typeof id.role === 'string' && id.role in RANK ? id : ADMIN;
}

/**
 * What the page may do on a host: the connection's role, capped by the server's own mode
 * (`jobctl web --read-only` serves every host as a viewer).
 */
export function effectiveRole(id: Identity, readOnly: boolean): Identity['role'] {
  return readOnly ? 'viewer' : id.role;
}

/** Start, stop, restart, run, kill: operator and admin. */
export function mayControl(role: Identity['role']): boolean {
  return RANK[role] >= RANK.operator;
}
