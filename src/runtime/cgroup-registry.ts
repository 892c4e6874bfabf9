import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { homeCgroupName, parseMountinfo, readControl } from './cgroup.js';
import { readStat } from './proc.js';
import { readRegularFile } from './regular-file.js';

/**
 * The registry of a user's cgroup subtrees, read by cgroup-prune.ts: one file per home,
 * `<registry>/jobctl-<hash>.json` = `{home, dirs, pid, start}`, written whole and renamed into
 * place, so two daemons starting at once never lose each other's record (one shared file
 * rewritten by each did: 6 of 8 homes recorded when 8 started together). A record is only
 * believed when its home hashes to its name and its paths lie under a cgroup mount and are
 * named for that home.
 */

export interface HomeRecord {
  name: string;
  home: string;
  dirs: string[];
  pid?: number;
  start?: number;
}

const NAME_RE = /^jobctl-[0-9a-f]{12}$/;

const FILE_RE = /^(jobctl-[0-9a-f]{12})\.json$/;

/**
 * The registry of this user's homes, found from the uid alone so that every daemon of a user
 * finds every other's records whatever its $HOME or $XDG_STATE_HOME (tests, bench, `sudo -E`
 * and unit files set them differently): root's is `/var/lib/jobctl/cgroup-homes`, another
 * user's `<passwd home>/.local/state/jobctl/cgroup-homes`.
 */
export function defaultCgroupRegistry(): string {
  let home: string | undefined;
  try {
    if (process.getuid?.() === 0) return '/var/lib/jobctl/cgroup-homes';
    home = os.userInfo().homedir;
  } catch {
    /* a uid without a passwd entry */
  }
  return path.join(home || os.homedir(), '.local', 'state', 'jobctl', 'cgroup-homes');
}

/** Where versions before the registry directory kept their one-file registry (read once, then removed). */
export function legacyRegistries(): string[] {
  const out = new Set<string>();
  const xdg = process.env.XDG_STATE_HOME;
  if (xdg && path.isAbsolute(xdg)) out.add(path.join(xdg, 'jobctl', 'cgroup-homes.jsonl'));
  out.add(path.join(os.homedir(), '.local', 'state', 'jobctl', 'cgroup-homes.jsonl'));
  return [...out];
}

/** This daemon's record: its pid and start time say whether it still runs. */
export function writeOwnRecord(registry: string, name: string, home: string, dirs: string[]): void {
  const self = readStat(process.pid);
  writeRecord(registry, { name, home, dirs: [...new Set(dirs)], pid: process.pid, ...(self ? { start: self.startTime } : {}) });
}

/** Mount points of the cgroup hierarchies: a recorded path must lie under one of them. */
export function cgroupMounts(): string[] {
  return parseMountinfo(readControl('/proc/self/mountinfo') ?? '').map((m) => m.point);
}

/** What a record says before it is checked: enough for the prune to tell whether it needs the record at all. */
export type RecordClaim = Pick<HomeRecord, 'name' | 'home' | 'pid' | 'start'>;

type RawRecord = { home?: unknown; dirs?: unknown; pid?: unknown; start?: unknown } | null;

const claimOf = (o: RawRecord, name: string): RecordClaim | undefined =>
  o && typeof o.home === 'string' && path.isAbsolute(o.home)
    ? {
        name, home: o.home,
        ...(Number.isInteger(o.pid) && (o.pid as number) > 1 ? { pid: o.pid as number } : {}),
        ...(Number.isInteger(o.start) ? { start: o.start as number } : {}),
      }
    : undefined;

function validRecord(v: unknown, name: string, mounts: string[]): HomeRecord | undefined {
  const o = v as RawRecord;
  const claim = claimOf(o, name);
  if (!claim || homeCgroupName(claim.home) !== name) return undefined;
  const dirs = Array.isArray(o?.dirs) ? o.dirs.filter((d): d is string => typeof d === 'string' && path.isAbsolute(d)).map((d) => path.resolve(d)) : [];
  // A path not named for this home, or outside the cgroup mounts, is never removed.
  const ok = dirs.filter((d) => path.basename(d) === name && mounts.some((m) => d.startsWith(m.endsWith('/') ? m : `${m}/`)));
  return { ...claim, dirs: ok };
}

/** A record is a few hundred bytes; the old one-file registry a line per home. */
const MAX_RECORD = 64 * 1024;
const MAX_LEGACY = 4 * 1024 * 1024;

/** A small regular file's text, or undefined: never through a symlink, never a FIFO or a device, never over `max` bytes. */
function readSmallFile(file: string, max: number): string | undefined {
  try {
    return readRegularFile(file, { max, noFollow: true });
  } catch {
    return undefined;
  }
}

/** A registry another user may write in (not ours, or group/other-writable) is not believed. */
function trustedDir(dir: string): boolean {
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === (process.getuid?.() ?? st.uid) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

export function readRecord(file: string, mounts: string[]): HomeRecord | undefined {
  return trustedDir(path.dirname(file)) ? recordOf(file, mounts) : undefined;
}

function recordOf(file: string, mounts: string[], wanted?: (claim: RecordClaim) => boolean): HomeRecord | undefined {
  const name = FILE_RE.exec(path.basename(file))?.[1];
  if (!name) return undefined;
  const text = readSmallFile(file, MAX_RECORD);
  try {
    if (text === undefined) return undefined;
    const v = JSON.parse(text) as RawRecord;
    if (wanted) {
      const claim = claimOf(v, name);
      if (!claim || !wanted(claim)) return undefined;
    }
    return validRecord(v, name, mounts);
  } catch {
    return undefined; // torn: skipped
  }
}

/**
 * Every valid record of the registry, by subtree name. `wanted` sees what a record claims before
 * it is checked (its home hashed, its paths resolved): a caller that needs few records, as the
 * prune needs only those of homes that are gone, does not check the others (a host where tests
 * left hundreds of homes paid for hashing all of them at every start).
 */
export function readRegistry(dir: string, mounts: string[] = cgroupMounts(), wanted?: (claim: RecordClaim) => boolean): Map<string, HomeRecord> {
  const out = new Map<string, HomeRecord>();
  let names: string[] = [];
  if (!trustedDir(dir)) return out;
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const r = FILE_RE.test(n) ? recordOf(path.join(dir, n), mounts, wanted) : undefined;
    if (r) out.set(r.name, r);
  }
  return out;
}

/** Lines `{name, home}` of the old one-file registry become records (their v2 subtree beside ours); the file goes. */
export function adoptLegacy(file: string, registry: string, records: Map<string, HomeRecord>, parent: string | undefined): void {
  const text = readSmallFile(file, MAX_LEGACY);
  if (text === undefined) return;
  for (const line of text.split('\n')) {
    try {
      const v = JSON.parse(line) as { name?: unknown; home?: unknown };
      // `records` may hold only the records a caller wanted: a record file on disk is newer than any line.
      if (typeof v.name !== 'string' || !NAME_RE.test(v.name) || records.has(v.name) || fs.existsSync(path.join(registry, `${v.name}.json`))) continue;
      const r = validRecord({ home: v.home, dirs: parent ? [path.join(parent, v.name)] : [] }, v.name, cgroupMounts());
      if (r) {
        records.set(r.name, r);
        writeRecord(registry, r);
      }
    } catch {
      /* a torn line: skipped */
    }
  }
  removeFile(file);
}

/**
 * Written whole and renamed into place; never into a registry another user may write in (as it
 * is never read there): a FIFO put at the temporary name held the daemon's start, and a hard
 * link there (fs.protected_hardlinks off) had a root daemon truncate its target. O_NONBLOCK: the
 * owner's own FIFO fails the write instead of holding it.
 */
export function writeRecord(registry: string, r: HomeRecord): void {
  const file = path.join(registry, `${r.name}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(registry, { recursive: true, mode: 0o700 });
    if (!trustedDir(registry)) return;
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, 0o600);
    try {
      fs.writeFileSync(fd, JSON.stringify({ home: r.home, dirs: r.dirs, pid: r.pid, start: r.start }) + '\n');
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

export function removeFile(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    /* gone already */
  }
}
