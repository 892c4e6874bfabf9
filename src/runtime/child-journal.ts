import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import { signallable } from './process/stop.js';
import { readJsonLines, removeStaleTemps, rewriteJsonLines, truncateTorn } from './jsonl.js';

/** Never follows a symlink planted at the journal's path (the daemon may be root). */
const APPEND_NOFOLLOW = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;

/** A child process the daemon started, recorded so a later daemon can sweep it. */
export interface ChildRecord {
  pid: number;
  pgid: number;
  /** /proc start time (clock ticks): a reused pid has another. */
  startTime?: number;
  task: string;
  /** The cgroup the child was started in, when the daemon contains children in cgroups. */
  cgroup?: string;
}

type Entry = { op: 'add'; key: string; child: ChildRecord } | { op: 'del'; key: string };

export interface ChildJournalOptions {
  /** Torn lines, write failures. @default ignored */
  onWarning?: (message: string) => void;
  /** The journal is compacted when it holds more than this many lines per live child (and at least 64). @default 4 */
  compactFactor?: number;
}

/**
 * Child records in an append-only journal (`state/children.jsonl`): one line when a child
 * starts, one when its group is gone, appended before the call returns, so a daemon killed
 * right after a spawn cannot lose the record. Compacted (temp file + rename) when mostly
 * made of entries that cancel out. A torn last line is skipped with a warning.
 */
export class ChildJournal {
  private readonly live = new Map<string, ChildRecord>();
  private lines = 0;
  private closed = false;
  /** Kept open between appends (a start costs one write, not open + write + close). */
  private fd: number | undefined;
  /** A write failed: the file misses entries (and may end in half a line) until it is rewritten whole. */
  private failed = false;
  /** Lines appended and compactions, for tests and benchmarks. */
  appends = 0;
  compactions = 0;
  bytesWritten = 0;

  private constructor(readonly file: string, private readonly opts: ChildJournalOptions) {}

  /** Read the journal (a missing one is empty). Never throws on content. */
  static open(file: string, opts: ChildJournalOptions = {}): ChildJournal {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    removeStaleTemps(path.dirname(file), path.basename(file));
    const j = new ChildJournal(file, opts);
    try {
      const read = readJsonLines(file, isEntry);
      if (read.bad) {
        opts.onWarning?.(`child journal ${file}: skipped ${read.bad} unreadable line(s) (a write torn by a crash)`);
        truncateTorn(file, read);
      }
      for (const e of read.items) {
        const wrong = e.op === 'add' ? implausible(e.child) : undefined;
        if (wrong) opts.onWarning?.(`child journal ${file}: skipped the record of ${e.key} (${wrong}); nothing of it is signalled`);
        else j.replay(e);
      }
      j.lines = read.items.length;
    } catch (e) {
      opts.onWarning?.(`could not read the child journal ${file} (${errorMessage(e)}); no children to sweep`);
    }
    return j;
  }

  /** The children recorded and not yet forgotten (a copy). */
  children(): Record<string, ChildRecord> {
    return Object.fromEntries([...this.live].map(([k, c]) => [k, { ...c }]));
  }

  add(key: string, child: ChildRecord): void {
    this.append({ op: 'add', key, child: { ...child } });
  }

  remove(key: string): void {
    if (!this.live.has(key)) return;
    this.append({ op: 'del', key });
  }

  /** Forget every child (after the start-up sweep). */
  clear(): void {
    this.live.clear();
    this.compact();
  }

  /** Leaves the journal holding only the live children (none after a clean stop). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    if (this.lines > this.live.size) this.compact();
    this.closed = true;
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = undefined;
  }

  private append(e: Entry): void {
    if (this.closed) return;
    this.replay(e);
    // After a failed write the file lacks what was recorded since: write the live set whole.
    if (this.failed) {
      this.compact();
      return;
    }
    try {
      const line = `${JSON.stringify(e)}\n`;
      // The file removed under us (rm -rf state/): appends to the unlinked inode would be
      // lost to the next daemon; write the live set whole, where it belongs, instead.
      if (this.fd !== undefined && fs.fstatSync(this.fd).nlink === 0) {
        this.closeFd();
        this.compact();
        return;
      }
      this.fd ??= fs.openSync(this.file, APPEND_NOFOLLOW, 0o600);
      fs.writeSync(this.fd, line);
      this.bytesWritten += Buffer.byteLength(line);
      this.appends++;
      this.lines++;
    } catch (err) {
      this.closeFd();
      this.fault(err);
    }
    if (this.lines > Math.max(64, this.live.size * (this.opts.compactFactor ?? 4))) this.compact();
  }

  private compact(): void {
    if (this.closed) return;
    try {
      this.closeFd();
      const entries: Entry[] = [...this.live].map(([key, child]) => ({ op: 'add', key, child }));
      this.bytesWritten += rewriteJsonLines(this.file, entries);
      this.lines = entries.length;
      this.compactions++;
      if (this.failed) this.opts.onWarning?.(`the child journal ${this.file} is written again`);
      this.failed = false;
    } catch (err) {
      this.fault(err);
    }
  }

  /** A write failed: said once, until a write works again. */
  private fault(err: unknown): void {
    if (!this.failed) this.opts.onWarning?.(`could not write the child journal ${this.file}: ${errorMessage(err)}; children are kept in memory and it is rewritten whole once it can be (said once)`);
    this.failed = true;
  }

  private replay(e: Entry): void {
    if (e.op === 'add') this.live.set(e.key, e.child);
    else this.live.delete(e.key);
  }
}

function isEntry(v: unknown): v is Entry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  if (typeof e.key !== 'string') return false;
  if (e.op === 'del') return true;
  const c = e.child as Record<string, unknown> | undefined;
  return e.op === 'add' && typeof c === 'object' && c !== null && typeof c.pid === 'number' && typeof c.pgid === 'number' && typeof c.task === 'string';
}

/**
 * Why a recorded child cannot be one of ours (a hand-edited or forged line), or undefined.
 * pid/pgid 0 and 1 and the daemon's own group must never be signalled; a record without its
 * start time cannot be told from a process that reused the pid.
 */
function implausible(c: ChildRecord): string | undefined {
  if (!Number.isSafeInteger(c.pid) || c.pid <= 1) return `pid ${c.pid} is not a child's`;
  if (!Number.isSafeInteger(c.pgid) || c.pgid <= 1) return `process group ${c.pgid} is not a child's`;
  if (!signallable(c.pgid) || !signallable(c.pid)) return `process group ${c.pgid} is the daemon's own`;
  // A start time of 0 would make every member of a leaderless group "started after the
  // leader" (orphans.ts): any process group whose leader is gone would be swept.
  if (c.startTime === undefined || !Number.isSafeInteger(c.startTime) || c.startTime <= 0) return `no valid start time (${c.startTime ?? 'none'})`;
  return undefined;
}
