import fs from 'node:fs';
import path from 'node:path';
import { homeCgroupName, parseMountinfo, parseProcCgroup, readControl } from './cgroup.js';
import { readStat } from './proc.js';
import { adoptLegacy, cgroupMounts, defaultCgroupRegistry, legacyRegistries, readRecord, readRegistry, removeFile, writeOwnRecord, writeRecord, type HomeRecord } from './cgroup-registry.js';

/**
 * Cgroup subtrees of deleted homes and killed daemons (issue 24 leftover). A home's subtree is
 * named `jobctl-<hash of its path>` in the v2 tree and in each v1 hierarchy the daemon writes
 * (memory, pids, cpu on a hybrid host), under the daemon's own group there, which differs from
 * one daemon to the next (a session's, a container's). A hash cannot be turned back into the
 * path, and a cgroup directory cannot hold a file of ours, so each daemon records its home, the
 * absolute paths of every subtree it made and its own pid in its user's registry
 * (cgroup-registry.ts). At start a daemon removes, leaves first, the subtrees of a home whose
 * path no longer exists and whose daemon is not alive, and those its own home's previous daemon
 * made where this one does not write (another session's v1 group). The kernel refuses to remove
 * a group that holds a process, so only empty groups go. What it cannot attribute (no record, a
 * record that does not check out) is left alone: another user's, or a forged record.
 */

export interface PruneOptions {
  home: string;
  /** Every subtree this daemon made for its home (v2 and v1), recorded for the next daemons. */
  subtrees?: string[];
  /** The registry directory. @default {@link defaultCgroupRegistry} */
  registry?: string;
  /** The directory holding the v2 `jobctl-<hash>` subtrees (records of older versions name no path). @default found from /proc/self */
  parent?: string;
}

export interface PruneResult {
  removed: string[];
  /** Subtrees left: a home gone but processes still in it, or not removable. */
  kept: string[];
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

/**
 * Record this home and its subtrees, and remove the empty subtrees of homes that are gone and of
 * this home's previous daemon. At daemon start only (a readdir and a stat per recorded home). Never throws.
 */
export function pruneDeletedHomes(opts: PruneOptions): PruneResult {
  const result: PruneResult = { removed: [], kept: [] };
  const registry = opts.registry ?? defaultCgroupRegistry();
  const home = path.resolve(opts.home);
  const own = homeCgroupName(home);
  const parent = opts.parent ?? cgroupParent(home);
  const mounts = cgroupMounts();
  const mine = (opts.subtrees ?? (parent ? [path.join(parent, own)] : [])).map((d) => path.resolve(d));
  // Only the records the prune acts on are checked: this home's, and those of homes gone with their daemon.
  const records = readRegistry(registry, mounts, (r) => r.name === own || !(fs.existsSync(r.home) || daemonAlive(r)));
  if (!opts.registry) for (const file of legacyRegistries()) adoptLegacy(file, registry, records, parent);
  let ownLeft: string[] = [];
  for (const r of records.values()) {
    if (r.name !== own && (fs.existsSync(r.home) || daemonAlive(r))) continue;
    // Its v2 subtree beside ours too (records of older versions name no path). This daemon's
    // own subtrees are not touched: the sweep empties them and they are used again.
    const recorded = parent ? [...new Set([...r.dirs, path.join(parent, r.name)])] : r.dirs;
    const dirs = recorded.filter((d) => !mine.includes(d));
    const left = dirs.filter((d) => {
      const how = removeTree(d);
      if (how === 'removed') result.removed.push(d);
      else if (how === 'busy') result.kept.push(d);
      return how === 'busy';
    });
    if (r.name === own) ownLeft = left; // rewritten below
    else if (left.length === 0) removeFile(path.join(registry, `${r.name}.json`));
    else if (left.length < r.dirs.length || left.some((d) => !r.dirs.includes(d))) writeRecord(registry, { ...r, dirs: left });
  }
  writeOwnRecord(registry, own, home, [...mine, ...ownLeft]);
  return result;
}

/**
 * Record this home's subtrees as soon as they are made (before the sweep, which may take seconds:
 * a daemon killed then is still on record), keeping the previous daemon's for the prune. Never throws.
 */
export function recordHome(home: string, subtrees: string[], registry = defaultCgroupRegistry()): void {
  const name = homeCgroupName(home);
  const previous = readRecord(path.join(registry, `${name}.json`), cgroupMounts())?.dirs ?? [];
  writeOwnRecord(registry, name, path.resolve(home), [...subtrees.map((d) => path.resolve(d)), ...previous]);
}

/** At a clean shutdown, once the home's subtrees are removed: its record goes too. Never throws. */
export function forgetHome(home: string, registry = defaultCgroupRegistry()): void {
  const file = path.join(registry, `${homeCgroupName(home)}.json`);
  const r = readRecord(file, cgroupMounts());
  if (r && r.pid === process.pid && r.dirs.every((d) => !fs.existsSync(d))) removeFile(file);
}

/** The recorded daemon still runs (same pid, same start time): its home was deleted under it. */
function daemonAlive(r: Pick<HomeRecord, 'pid' | 'start'>): boolean {
  if (r.pid === undefined || r.pid === process.pid) return false;
  const st = readStat(r.pid);
  return st !== undefined && st.state !== 'Z' && (r.start === undefined || st.startTime === r.start);
}

/** rmdir a cgroup and its descendants, deepest first: 'busy' when a group still holds a process. */
function removeTree(dir: string): 'removed' | 'absent' | 'busy' {
  let children: fs.Dirent[];
  try {
    children = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'busy';
  }
  let empty = true;
  for (const c of children) if (removeTree(path.join(dir, c.name)) === 'busy') empty = false;
  if (!empty) return 'busy';
  try {
    fs.rmdirSync(dir);
    return 'removed';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'busy'; // EBUSY: a process is in it
  }
}

