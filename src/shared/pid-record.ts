/**
 * The daemon's pid file, `state/jobctl.pid`: one line `pid starttime pidns`. `pid` and the
 * /proc start time identify the daemon in its own pid namespace; `pidns` (the inode of
 * /proc/self/ns/pid) says which namespace that is, so a reader in another namespace (a
 * daemon running as PID 1 of a container, `jobctl down` from the host) knows the pid means
 * nothing to it and waits on the file and the socket instead.
 */
export interface PidRecord {
  pid: number;
  startTime: number;
  /** e.g. `pid:[4026531836]`; undefined in files written before it was recorded. */
  pidns?: string;
}

export function formatPidRecord(r: PidRecord): string {
  return `${r.pid} ${r.startTime}${r.pidns ? ` ${r.pidns}` : ''}\n`;
}

export function parsePidRecord(text: string): PidRecord | undefined {
  const [pid, start, ns] = text.trim().split(/\s+/);
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return { pid: n, startTime: Number(start) || 0, ...(ns ? { pidns: ns } : {}) };
}
