import fs from 'node:fs';
import { readStat } from '../runtime/proc.js';
import { JobctlError } from '../shared/errors.js';
import { formatPidRecord } from '../shared/pid-record.js';
import { ownPidNamespace, readPidRecord, sameNamespace } from '../api/pid-file.js';

/**
 * One daemon per home: the pid file is created with O_EXCL and holds `pid starttime pidns`
 * (shared/pid-record.ts).
 * A file left by a crashed daemon (its pid gone, or reused by another process) is
 * stale: it is removed, with the stale socket, and the lock is taken again.
 */
export class PidLock {
  private released = false;

  private constructor(readonly file: string) {}

  static acquire(file: string, staleSocket?: string): PidLock {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx', 0o600);
        const ns = ownPidNamespace();
        fs.writeSync(fd, formatPidRecord({ pid: process.pid, startTime: readStat(process.pid)?.startTime ?? 0, ...(ns ? { pidns: ns } : {}) }));
        fs.closeSync(fd);
        return new PidLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new JobctlError('IO_ERROR', `cannot create ${file}: ${(e as Error).message}`, { cause: e });
        }
      }
      const owner = readPidRecord(file);
      if (owner && !sameNamespace(owner) && staleSocket && fs.existsSync(staleSocket)) {
        throw new JobctlError('DAEMON_RUNNING', `a daemon in another pid namespace (pid ${owner.pid} there) holds this home; stop it with \`jobctl down\`, or remove ${file} and ${staleSocket} if none runs`, { data: { pid: owner.pid } });
      }
      if (owner && sameNamespace(owner) && isAlive(owner.pid, owner.startTime)) {
        throw new JobctlError('DAEMON_RUNNING', `a daemon is already running for this home (pid ${owner.pid}); stop it with \`jobctl down\``, { data: { pid: owner.pid } });
      }
      fs.rmSync(file, { force: true });
      if (staleSocket) fs.rmSync(staleSocket, { force: true });
    }
    throw new JobctlError('IO_ERROR', `could not take the lock ${file}; remove it if no daemon runs`);
  }

  /** Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const owner = readPidRecord(this.file);
    if (owner?.pid === process.pid) fs.rmSync(this.file, { force: true });
  }
}

function isAlive(pid: number, startTime: number): boolean {
  const stat = readStat(pid);
  // A zombie (killed, not yet reaped by its parent) is gone for our purposes.
  if (stat) return stat.state !== 'Z' && stat.state !== 'X' && (startTime === 0 || stat.startTime === startTime);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
