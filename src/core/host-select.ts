/**
 * Which host runs which task (DESIGN.md "One task repo for many hosts"): a task with
 * `hosts: [...]` runs on a host when one selector is one of the host's labels, or a glob
 * (`*`, `?`, `[a-z]`, `[!0-9]`) that matches its hostname (case-insensitive, as DNS).
 * A task without `hosts` runs everywhere.
 */
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

/** A shell-style glob as an anchored, case-insensitive RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}
