import fs from 'node:fs';
import path from 'node:path';
import { JobctlError } from '../shared/errors.js';

/**
 * state/ holds what the daemon writes and later trusts (its journal of pids to signal, the
 * log files it appends to). It must be the daemon user's own, a real directory, and so must
 * its logs/ and runs/: otherwise another user could plant a symlink or forge a record.
 */
export function checkStateOwner(stateDir: string, uid = process.getuid?.()): void {
  if (uid === undefined) return;
  for (const dir of [stateDir, path.join(stateDir, 'logs'), path.join(stateDir, 'runs')]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(dir);
    } catch {
      continue; // created by the daemon itself
    }
    if (!st.isDirectory()) throw new JobctlError('PERMISSION_DENIED', `${dir} is not a directory (a symlink?): remove it; the daemon creates its own`);
    if (st.uid !== uid) throw new JobctlError('PERMISSION_DENIED', `${dir} belongs to uid ${st.uid}, not to the daemon's user (uid ${uid}): refusing to trust it; \`chown -R ${uid} ${stateDir}\` or run the daemon as its owner`);
  }
}

/**
 * Whether someone other than the daemon's user (or root) could move state/ (or the home)
 * aside while the daemon runs and put a directory or symlink of theirs at its path: the home
 * or its parent is another user's, or writable by group/others (a sticky parent is safe).
 */
export function stateMayBeSwapped(home: string, uid = process.getuid?.()): boolean {
  if (uid === undefined) return false;
  const abs = path.resolve(home);
  for (const [dir, stickyOk] of [[abs, false], [path.dirname(abs), true]] as const) {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch {
      return true;
    }
    if (st.uid !== uid && st.uid !== 0) return true;
    if ((st.mode & 0o022) !== 0 && !(stickyOk && (st.mode & 0o1000) !== 0)) return true;
  }
  return false;
}

/**
 * state/ held open, so the daemon reaches it through `/proc/self/fd/N` whatever is later put
 * at its path: a home owner who renames state/ and plants a symlink there gets no write
 * through it (a root daemon would otherwise create directories and files wherever she
 * points). Checked again on the open descriptor: a real directory of the daemon's user.
 */
export function pinStateDir(stateDir: string, uid = process.getuid?.()): { dir: string; fd: number } {
  const fd = fs.openSync(stateDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  const st = fs.fstatSync(fd);
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    fs.closeSync(fd);
    throw new JobctlError('PERMISSION_DENIED', `${stateDir} changed owner while the daemon started: refusing to trust it`);
  }
  return { dir: `/proc/self/fd/${fd}`, fd };
}
