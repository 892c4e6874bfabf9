import fs from 'node:fs';
import path from 'node:path';

/**
 * Who may change what the daemon runs. A task file is a list of commands the daemon runs
 * as its own user (as root: as anyone), so, as cron and sshd (StrictModes) do, a file is
 * refused when someone else could have written it:
 *
 * - its owner must be the daemon's user or root;
 * - it must not be writable by others; when the daemon runs as root, not by its group either
 *   (a non-root daemon allows group-writable files: a team's shared repo under a user
 *   private group runs commands only as that user);
 * - the same for each directory from the task directory down to the file, except that a
 *   directory writable by others (or by the group, for root) is allowed with the sticky bit,
 *   as /tmp: others can then only add files, which the owner rule refuses;
 * - a file reached through a symlink: the same for each directory of its real path, up to `/`.
 *
 * `validate` applies the same rule for the user who runs it.
 */

export interface TrustOptions {
  /** The user the daemon (or `validate`) runs as. @default process.geteuid() */
  uid?: number;
}

export function currentUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : -1;
}

/** Why this file or directory must not be trusted, or undefined when it may. */
export function trustProblem(st: Pick<fs.Stats, 'uid' | 'mode'>, kind: 'file' | 'directory', uid: number): string | undefined {
  if (uid < 0) return undefined; // no uids on this platform
  const root = uid === 0;
  const who = root ? 'root' : `uid ${uid} or root`;
  if (st.uid !== uid && st.uid !== 0) {
    return `owned by uid ${st.uid}, not by ${who}: whoever owns it decides what the daemon runs${root ? ' as root' : ''}; chown it, or run the daemon as that user`;
  }
  const sticky = kind === 'directory' && (st.mode & 0o1000) !== 0;
  const mode = `mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;
  if ((st.mode & 0o002) && !sticky) return `writable by others (${mode}): anyone could change what the daemon runs; chmod o-w it`;
  if (root && (st.mode & 0o020) && !sticky) return `writable by its group (${mode}) and the daemon runs as root: group members could run commands as root; chmod g-w it`;
  return undefined;
}

/**
 * Checks a task file and the directories between it and the task directory (cached per
 * directory). Returns the problem, naming the directory when it is the directory's.
 */
export class TrustChecker {
  private readonly uid: number;
  private readonly dirs = new Map<string, string | undefined>();

  constructor(private readonly root: string, opts: TrustOptions = {}) {
    this.uid = opts.uid ?? currentUid();
  }

  /** The task directory itself. */
  checkRoot(): string | undefined {
    return this.checkDir(this.root);
  }

  check(file: string): string | undefined {
    for (let d = parentOf(file); d.startsWith(this.root); d = parentOf(d)) {
      const p = this.checkDir(d);
      if (p) return p;
      if (d === this.root) break;
    }
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return undefined; // the read that follows reports it
    }
    const p = trustProblem(st, 'file', this.uid);
    return p ? `refused: ${p}` : this.checkRealPath(file);
  }

  /**
   * A file reached through a symlink (of the file or of a directory on its way): whoever can
   * write a directory of its real path can replace it too, so each is checked, up to the
   * task directory when the target lies inside it, else up to `/` (as sshd's StrictModes).
   */
  private checkRealPath(file: string): string | undefined {
    let real: string;
    let realRoot: string;
    try {
      real = fs.realpathSync(file);
      realRoot = fs.realpathSync(this.root);
    } catch {
      return undefined; // the read that follows reports it
    }
    if (real === path.resolve(file)) return undefined;
    for (let d = parentOf(real); ; d = parentOf(d)) {
      const p = this.checkDir(d);
      if (p) return p;
      if (d === realRoot || d === '/') return undefined;
    }
  }

  private checkDir(dir: string): string | undefined {
    if (!this.dirs.has(dir)) {
      let problem: string | undefined;
      try {
        const p = trustProblem(fs.statSync(dir), 'directory', this.uid);
        if (p) problem = `refused: its directory ${dir} is ${p}`;
      } catch {
        problem = undefined;
      }
      this.dirs.set(dir, problem);
    }
    return this.dirs.get(dir);
  }
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
