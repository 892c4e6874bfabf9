import { JobctlError } from './errors.js';

/** Where a daemon is: this host's socket, or a host reached with the system `ssh`. */
export type DaemonAddress =
  | { kind: 'local'; home?: string }
  | { kind: 'ssh'; host: string; user?: string; port?: number; home?: string };

/** No leading dash: ssh would read the host (or user) as one of its own options. */
const HOST_RE = /^[A-Za-z0-9_.][A-Za-z0-9._-]*$|^\[[0-9A-Fa-f:.]+\]$/;
const USER_RE = /^[A-Za-z0-9_.][A-Za-z0-9._-]*$/;

/**
 * Parse `ssh://[user@]host[:port][/home]` or `local`. The home, when given, is the path
 * after the host (`ssh://web1/srv/jobctl` -> `/srv/jobctl`); without it the far side uses
 * its own default (JOBCTL_HOME, ./tasks, ~/.jobctl).
 */
export function parseAddress(text: string): DaemonAddress {
  const s = text.trim();
  if (s === 'local') return { kind: 'local' };
  if (s.startsWith('local:')) return { kind: 'local', home: s.slice('local:'.length) };
  const bad = (why: string) => new JobctlError('BAD_REQUEST', `bad host "${text}": ${why}; write ssh://[user@]host[:port][/home] or local`);
  if (!s.startsWith('ssh://')) throw bad('only ssh:// and local are supported');
  const rest = s.slice('ssh://'.length);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const home = slash === -1 ? undefined : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  const user = at === -1 ? undefined : authority.slice(0, at);
  let hostPort = at === -1 ? authority : authority.slice(at + 1);
  let port: number | undefined;
  const portMatch = /^(.*?):(\d+)$/.exec(hostPort);
  if (portMatch && !hostPort.endsWith(']')) {
    hostPort = portMatch[1]!;
    port = Number(portMatch[2]);
    if (port < 1 || port > 65535) throw bad(`port ${portMatch[2]} is out of range`);
  }
  if (!hostPort) throw bad('no host name');
  if (!HOST_RE.test(hostPort)) throw bad(`"${hostPort}" is not a host name`);
  if (user !== undefined && !USER_RE.test(user)) throw bad(`"${user}" is not a user name`);
  return {
    kind: 'ssh', host: hostPort,
    ...(user ? { user } : {}), ...(port ? { port } : {}), ...(home && home !== '/' ? { home } : {}),
  };
}

/**
 * The host as ssh takes it on its command line: an IPv6 literal without the brackets the URL
 * form needs (`ssh://[::1]:2222` -> `::1`; ssh would try to resolve `[::1]` as a name).
 */
export function sshHost(a: Extract<DaemonAddress, { kind: 'ssh' }>): string {
  return a.host.startsWith('[') ? a.host.slice(1, -1) : a.host;
}

/** The address as the user writes it. */
export function formatAddress(a: DaemonAddress): string {
  if (a.kind === 'local') return a.home ? `local:${a.home}` : 'local';
  return `ssh://${a.user ? `${a.user}@` : ''}${a.host}${a.port ? `:${a.port}` : ''}${a.home ?? ''}`;
}
