/**
 * Which host runs which task (DESIGN.md "One task repo for many hosts"): a task with
 * `hosts: [...]` runs on a host when one selector is one of the host's labels, or a glob
 * (`*`, `?`, `[a-z]`, `[!0-9]`) that matches its hostname (case-insensitive, as DNS).
 * A task without `hosts` runs everywhere.
 */
import { globToRegExp } from '../shared/glob.js';

export { globToRegExp };

export interface HostIdentity {
  hostname: string;
  labels: readonly string[];
}

export function selectsHost(hosts: readonly string[] | undefined, who: HostIdentity): boolean {
  if (!hosts) return true;
  return hosts.some((sel) => who.labels.includes(sel) || globToRegExp(sel).test(who.hostname));
}

/** Split tasks into the ones for this host and the others. */
export function partitionForHost<T extends { hosts?: string[] }>(tasks: readonly T[], who: HostIdentity): { here: T[]; elsewhere: T[] } {
  const here: T[] = [];
  const elsewhere: T[] = [];
  for (const t of tasks) (selectsHost(t.hosts, who) ? here : elsewhere).push(t);
  return { here, elsewhere };
}
