import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { homeCgroupName, parseMountinfo, parseProcCgroup, readControl } from './cgroup.js';

/**
 * Cgroup subtrees of deleted homes (issue 24 leftover). A home's subtree is named
 * `jobctl-<hash of its path>`, and a hash cannot be turned back into the path, while a cgroup
 * directory cannot hold a file of ours. So each daemon records `{name, home}` in a registry of
 * its user (`~/.local/state/jobctl/cgroup-homes.jsonl`, shared by every home of that user)
 * and, at start, removes the sibling subtrees whose recorded home no longer exists and that
 * hold no process. What it cannot attribute (no line, or a line whose home does not hash to
 * the name) is left alone: another user's, a daemon of an older version, or a forged line.
 * Removing only empty groups is harmless even when wrong: a daemon makes its subtree again.
 */

export interface PruneOptions {
  home: string;
  /** @default `$XDG_STATE_HOME/jobctl/cgroup-homes.jsonl` or `~/.local/state/jobctl/…` */
  registry?: string;
  /** The directory holding the `jobctl-<hash>` subtrees. @default found from /proc/self */
  parent?: string;
}

export interface PruneResult {
  removed: string[];
  /** Subtrees left: a home gone but processes still in it, or not removable. */
  kept: string[];
}

const NAME_RE = /^jobctl-[0-9a-f]{12}$/;

export function defaultCgroupRegistry(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'jobctl', 'cgroup-homes.jsonl');
}

/** The v2 directory holding this daemon's home subtree, when there is one. */
export function cgroupParent(home: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const mounts = parseMountinfo(readControl('/proc/self/mountinfo') ?? '');
  const own = parseProcCgroup(readControl('/proc/self/cgroup') ?? '');
  const v2 = mounts.find((m) => m.fstype === 'cgroup2');
  if (!v2 || !own.has('')) return undefined;
  let dir = path.join(v2.point, own.get('')!);
  // Under delegation the daemon may have moved itself into a leaf beside the subtrees.
  if (path.basename(dir) === 'jobctl-supervisor') dir = path.dirname(dir);
  return fs.existsSync(path.join(dir, homeCgroupName(home))) ? dir : undefined;
}

/** Record this home and remove the empty subtrees of homes that are gone. Never throws. */
export function pruneDeletedHomes(opts: PruneOptions): PruneResult {
  const result: PruneResult = { removed: [], kept: [] };
  const registry = opts.registry ?? defaultCgroupRegistry();
  const home = path.resolve(opts.home);
  const entries = readRegistry(registry);
  entries.set(homeCgroupName(home), home);
  const parent = opts.parent ?? cgroupParent(home);
  if (parent) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(parent).filter((n) => NAME_RE.test(n));
    } catch {
      /* nothing to look at */
    }
    for (const name of names) {
      const owner = entries.get(name);
      if (owner === undefined || owner === home || fs.existsSync(owner)) continue;
      const dir = path.join(parent, name);
      if (removeEmptyTree(dir)) {
        result.removed.push(dir);
        entries.delete(name);
      } else result.kept.push(dir);
    }
  }
  // Lines of homes that are gone and have no subtree left are dropped too.
  for (const [name, h] of entries) {
    if (h !== home && !fs.existsSync(h) && !(parent && fs.existsSync(path.join(parent, name)))) entries.delete(name);
  }
  writeRegistry(registry, entries);
  return result;
}

/** rmdir a cgroup and its descendants, deepest first; false when a process is still in it. */
function removeEmptyTree(dir: string): boolean {
  const events = readControl(path.join(dir, 'cgroup.events'));
  if (events === undefined || !/^populated 0$/m.test(events)) return false;
  let children: fs.Dirent[] = [];
  try {
    children = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  } catch {
    return false;
  }
  for (const c of children) if (!removeEmptyTree(path.join(dir, c.name))) return false;
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function readRegistry(file: string): Map<string, string> {
  const out = new Map<string, string>();
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    try {
      const v = JSON.parse(line) as { name?: unknown; home?: unknown };
      if (typeof v.name === 'string' && NAME_RE.test(v.name) && typeof v.home === 'string' && path.isAbsolute(v.home) && homeCgroupName(v.home) === v.name) out.set(v.name, v.home);
      // else: torn, or a line whose home does not hash to its name (forged): skipped
    } catch {
      /* a torn line: skipped */
    }
  }
  return out;
}

function writeRegistry(file: string, entries: Map<string, string>): void {
  const text = [...entries].map(([name, home]) => JSON.stringify({ name, home })).join('\n') + '\n';
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.writeFileSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
