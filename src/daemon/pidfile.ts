import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readStat } from '../runtime/proc.js';
import { JobctlError } from '../shared/errors.js';
import { formatPidRecord } from '../shared/pid-record.js';
import { ownPidNamespace, readPidRecord } from '../api/pid-file.js';

/** flock(1) exit status when the lock is held by someone else (`-E`). */
const BUSY = 75;

/** What flock(1) says on a filesystem without locks (EOPNOTSUPP, ENOLCK, ENOSYS: NFS without lockd, some FUSE and network filesystems). */
const NO_LOCKS_RE = /not supported|No locks available|Function not implemented/i;

/**
 * One daemon per home, decided by the kernel: the daemon keeps the pid file open for its whole
 * life and holds an exclusive flock(2) on that open file. The kernel drops the lock when the
 * holder dies (kill -9 included), so nothing is ever judged "stale" from the file's content.
 *
 * Node has no flock, so util-linux's `flock -n FD` (already required beside setpriv) takes
 * it on the daemon's own descriptor, passed as the child's fd 3: a flock belongs to the open
 * file description, which the daemon keeps after the short-lived child exits. The descriptor is
 * close-on-exec, so no task inherits it.
 *
 * A starter that opened the file just before the holder unlinked it (at release) would lock a
 * dead inode; it compares the locked inode with the path's and tries again. Only the holder
 * ever removes the pid file or the socket, so a live daemon's socket is never unlinked.
 */
export class PidLock {
  private released = false;

  private constructor(readonly file: string, private fd: number, private readonly homeFd?: number) {}

  /**
   * `home`: also hold the same kind of lock on the home directory itself. The pid file lives
   * in state/, which a user may remove whole (`rm -rf state/` to free space) while the daemon
   * runs: its lock then sits on an unlinked inode and a new pid file would be free to lock;
   * the home directory stays, so a second daemon on it is still refused.
   */
  static acquire(file: string, home?: string): PidLock {
    let homeFd: number | undefined;
    if (home !== undefined) {
      try {
        homeFd = fs.openSync(home, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      } catch (e) {
        throw new JobctlError('IO_ERROR', `cannot open the home ${home}: ${(e as Error).message}`, { cause: e });
      }
      let got = false;
      try {
        got = flockNonBlocking(homeFd, home);
      } finally {
        if (!got) fs.closeSync(homeFd);
      }
      if (!got) {
        const owner = readPidRecord(file);
        const who = owner ? `pid ${owner.pid}` : 'its state/ was removed or it is starting';
        throw new JobctlError('DAEMON_RUNNING', `a daemon is already running for this home (${who}); stop it with \`jobctl down\``, { data: { pid: owner?.pid ?? 0 } });
      }
    }
    try {
      return PidLock.acquireFile(file, homeFd);
    } catch (e) {
      if (homeFd !== undefined) fs.closeSync(homeFd);
      throw e;
    }
  }

  private static acquireFile(file: string, homeFd: number | undefined): PidLock {
    for (let attempt = 0; attempt < 5; attempt++) {
      const fd = openLockFile(file);
      const got = flockNonBlocking(fd, file);
      if (!got) {
        fs.closeSync(fd);
        const owner = readPidRecord(file);
        const who = owner ? `pid ${owner.pid}` : 'it is starting';
        throw new JobctlError('DAEMON_RUNNING', `a daemon is already running for this home (${who}); stop it with \`jobctl down\``, { data: { pid: owner?.pid ?? 0 } });
      }
      if (sameInode(fd, file)) {
        const ns = ownPidNamespace();
        const record = formatPidRecord({ pid: process.pid, startTime: readStat(process.pid)?.startTime ?? 0, ...(ns ? { pidns: ns } : {}) });
        fs.ftruncateSync(fd, 0);
        fs.writeSync(fd, record, 0);
        return new PidLock(file, fd, homeFd);
      }
      fs.closeSync(fd); // locked a file that its holder had just removed: take the new one
    }
    throw new JobctlError('IO_ERROR', `could not take the lock on ${file}: it keeps being replaced`);
  }

  /**
   * The pid file was removed under the daemon (`rm -rf state/`): write and lock a new one, so
   * `down` and `status` find the daemon again. The home lock keeps any other starter out
   * meanwhile. False when nothing was missing.
   */
  restoreIfGone(): boolean {
    if (this.released || this.homeFd === undefined || fs.existsSync(this.file)) return false;
    let fd: number;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      fd = fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    } catch {
      return false;
    }
    try {
      if (!flockNonBlocking(fd, this.file)) throw new Error('locked by another');
      const ns = ownPidNamespace();
      fs.writeSync(fd, formatPidRecord({ pid: process.pid, startTime: readStat(process.pid)?.startTime ?? 0, ...(ns ? { pidns: ns } : {}) }), 0);
    } catch {
      fs.closeSync(fd);
      return false;
    }
    fs.closeSync(this.fd);
    this.fd = fd;
    return true;
  }

  /** Remove the pid file while still holding the lock, then let the lock go. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (sameInode(this.fd, this.file)) fs.rmSync(this.file, { force: true });
    } finally {
      fs.closeSync(this.fd);
      if (this.homeFd !== undefined) fs.closeSync(this.homeFd);
    }
  }
}

function openLockFile(file: string): number {
  try {
    return fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw new JobctlError('IO_ERROR', `cannot open the lock file ${file}: ${(e as Error).message}`, { cause: e });
  }
}

function flockNonBlocking(fd: number, file: string): boolean {
  const r = spawnSync('flock', ['-n', '-x', '-E', String(BUSY), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  if (r.error) throw new JobctlError('IO_ERROR', `cannot lock ${file}: flock(1) from util-linux is needed (${r.error.message})`, { cause: r.error });
  if (r.status === 0) return true;
  if (r.status === BUSY) return false;
  const said = r.stderr.toString().trim();
  if (NO_LOCKS_RE.test(said)) {
    throw new JobctlError('IO_ERROR', `cannot lock ${file}: its filesystem does not support file locks (${said.replace(/^flock: \d+: /, '')}); put the jobctl home on a local filesystem (--home or JOBCTL_HOME), or enable locking on this one (NFS: lockd)`);
  }
  throw new JobctlError('IO_ERROR', `cannot lock ${file}: flock exited ${r.status ?? r.signal}: ${said}`);
}

function sameInode(fd: number, file: string): boolean {
  try {
    const a = fs.fstatSync(fd);
    const b = fs.statSync(file);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}
