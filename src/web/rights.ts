import type { HelloResult, Identity } from '../shared/protocol.js';

export type { Identity };

/** What a daemon that says nothing of rights grants: admin, as its owner-only socket does. */
export const ADMIN: Identity = { operator: 'owner', role: 'admin' };

const RANK: Record<Identity['role'], number> = { viewer: 0, operator: 1, admin: 2 };

/** The identity a `hello` answer names; a missing one (a daemon from before rights) is admin. */
export function identityOf(hello: HelloResult): Identity {
  // A daemon from before rights (issue 25) sends none.
  const id = hello.identity as Identity | undefined;
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
