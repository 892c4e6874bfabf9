import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { JobctlError } from '../shared/errors.js';
import type { TaskSpec } from '../shared/types.js';

/**
 * The task directory a `plan --rev`/`--dir` is made from. A git revision is written out
 * (`git archive` of tasks/'s subtree at that revision) into a private directory under
 * state/, read as tasks/ would be, and removed; a directory is read where it is. Either
 * way the paths the tasks get from where their files lie (cwd, env_file) are mapped back
 * to tasks/, so that only what the files say is compared, not where they were read.
 */
export interface PlanSource {
  dir: string;
  /** `rev origin/main (3f2a1bc)`, `dir /srv/next/tasks`. */
  label: string;
  /** Remove what was written out (a revision). */
  close(): void;
}

const GIT_TIMEOUT_MS = 30_000;
/** The most a `plan --rev` writes out under state/: task files are small; a revision with a dump committed beside them must not fill the disk. */
export const PLAN_REV_MAX_BYTES = 64 * 1024 * 1024;

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-C', cwd, ...args], { timeout: GIT_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const said = stderr.split('\n').map((l) => l.trim()).filter(Boolean)[0];
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'git is not installed on this host' : said ?? err.message;
      reject(new JobctlError('BAD_REQUEST', `git ${args[0]}: ${why}`));
    });
  });
}

function tar(archive: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('tar', ['-x', '-f', archive, '-C', into], { timeout: GIT_TIMEOUT_MS }, (err, _out, stderr) => {
      if (err) reject(new JobctlError('BAD_REQUEST', `tar: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

/** tasks/ at a git revision, written out under `scratchParent` (the home's state/). */
export async function revisionSource(tasksDir: string, rev: string, scratchParent: string): Promise<PlanSource> {
  if (rev.startsWith('-') || /[\s\0]/.test(rev)) throw new JobctlError('BAD_REQUEST', `bad revision "${rev}": name a branch, tag or commit (e.g. origin/main)`);
  try {
    await git(tasksDir, ['rev-parse', '--is-inside-work-tree']);
  } catch {
    throw new JobctlError('BAD_REQUEST', `${tasksDir} is not in a git repository: \`plan --rev\` compares with a revision of tasks/'s repository; use \`plan --dir\` for a directory`);
  }
  let commit: string;
  try {
    commit = (await git(tasksDir, ['rev-parse', '--verify', '--short', `${rev}^{commit}`])).trim();
  } catch {
    throw new JobctlError('NOT_FOUND', `no revision "${rev}" in the repository of ${tasksDir} (run \`git fetch\` there first?)`);
  }
  // What it would write, before writing any of it (`git ls-tree -l`: `<mode> <type> <object> <size>\t<path>`).
  const listing = await git(tasksDir, ['ls-tree', '-r', '-l', '-z', commit]);
  let bytes = 0;
  for (const entry of listing.split('\0')) {
    const size = Number(/^\S+ blob \S+ +(\d+)\t/.exec(entry)?.[1] ?? 0);
    bytes += size;
  }
  if (bytes > PLAN_REV_MAX_BYTES) {
    throw new JobctlError('BAD_REQUEST', `tasks/ at ${rev} (${commit}) holds ${Math.ceil(bytes / 1024 / 1024)} MiB, more than \`plan --rev\` writes out (${PLAN_REV_MAX_BYTES / 1024 / 1024} MiB): keep large files out of the task repository, or check the revision out elsewhere and use \`plan --dir\``);
  }
  const scratch = fs.mkdtempSync(path.join(scratchParent, 'plan-'));
  const close = () => fs.rmSync(scratch, { recursive: true, force: true });
  try {
    const archive = path.join(scratch, 'rev.tar');
    const tree = path.join(scratch, 'tasks');
    fs.mkdirSync(tree, { mode: 0o700 });
    // From tasks/ (a repository's root or a folder in it), `git archive` takes that subtree.
    // Modes as a checkout with umask 022 has them (git archive's own default is 002, and a
    // group-writable file is refused as it would be in tasks/).
    await git(tasksDir, ['-c', 'tar.umask=0022', 'archive', '--format=tar', '-o', archive, commit]);
    await tar(archive, tree);
    return { dir: tree, label: `rev ${rev} (${commit})`, close };
  } catch (e) {
    close();
    throw e;
  }
}

/**
 * The copies of revisions a daemon killed during a `plan --rev` left in state/ (plan-*),
 * removed at start, while this daemon holds the home's lock and so no plan is under way.
 */
export function removeStalePlanCopies(stateDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(stateDir).filter((n) => /^plan-[A-Za-z0-9]{6}$/.test(n));
  } catch {
    return [];
  }
  for (const n of names) fs.rmSync(path.join(stateDir, n), { recursive: true, force: true });
  return names;
}

/** Another directory, read where it is. */
export function directorySource(dir: string): PlanSource {
  if (!path.isAbsolute(dir)) throw new JobctlError('BAD_REQUEST', `plan --dir needs an absolute path on the daemon's host, got "${dir}"`);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new JobctlError('NOT_FOUND', `no directory ${dir} on this host`);
  }
  // A file read as a task directory has no task files: the plan would stop every task.
  if (!st.isDirectory()) throw new JobctlError('BAD_REQUEST', `${dir} is not a directory: plan --dir takes a task directory (as tasks/)`);
  return { dir, label: `dir ${dir}`, close: () => undefined };
}

/** Every path of the specs under `from` moved under `to` (cwd, env_file: where the files were read). */
export function relocate(specs: readonly TaskSpec[], from: string, to: string): TaskSpec[] {
  const move = (v: unknown): unknown => {
    if (typeof v === 'string') return v === from ? to : v.startsWith(`${from}/`) ? to + v.slice(from.length) : v;
    if (Array.isArray(v)) return v.map(move);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, move(x)]));
    return v;
  };
  return specs.map((s) => move(s) as TaskSpec);
}
