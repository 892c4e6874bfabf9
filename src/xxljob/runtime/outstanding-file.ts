import fs from 'node:fs';
import path from 'node:path';
import { appendJsonLines, readJsonLines, removeStaleTemps, rewriteJsonLines } from '../../runtime/jsonl.js';

/** A trigger the admin waits for a callback of: queued or running here, not yet reported. */
export interface Outstanding {
  logId: number;
  logDateTime: number;
  jobId: number;
  task: string;
  /** Once its run exists. */
  runId?: string;
}

/** One change: a trigger added or updated, or reported. */
type Op = { put: Outstanding } | { del: number };

/** Lines appended beyond the live entries before the file is rewritten with only those. */
const SLACK_LINES = 1000;

/**
 * The outstanding triggers on disk (`state/xxljob/outstanding.jsonl`), so a daemon that stopped
 * or crashed still reports every trigger it accepted. A journal: each change is a line appended
 * (ids only, no params), so a trigger, start or end costs the same however many triggers wait;
 * the file is rewritten with the live entries only once it holds SLACK_LINES more lines than them.
 */
export class OutstandingFile {
  private readonly ops: Op[] = [];
  private lines = 0;

  constructor(private readonly file: string) {}

  /** What the last daemon left; a line that cannot be read (torn by a crash) is skipped. */
  load(): Outstanding[] {
    let read;
    try {
      read = readJsonLines(this.file, isOp);
    } catch {
      return [];
    }
    const live = new Map<number, Outstanding>();
    for (const op of read.items) {
      if ('put' in op) live.set(op.put.logId, op.put);
      else live.delete(op.del);
    }
    return [...live.values()];
  }

  put(o: Outstanding): void {
    this.ops.push({ put: { ...o } });
  }

  remove(logId: number): void {
    this.ops.push({ del: logId });
  }

  /** Write the changes since the last flush: appended, or the whole file when `live` is what is left and the journal grew past it. */
  flush(live: () => Iterable<Outstanding>, liveCount: number): void {
    if (this.ops.length === 0) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    if (this.lines + this.ops.length > liveCount + SLACK_LINES) {
      removeStaleTemps(path.dirname(this.file), path.basename(this.file));
      rewriteJsonLines(this.file, [...live()].map((o) => ({ put: o })));
      this.lines = liveCount;
    } else {
      appendJsonLines(this.file, this.ops);
      this.lines += this.ops.length;
    }
    this.ops.length = 0;
  }

  /** Forget everything (what was loaded has been reported). */
  clear(): void {
    this.ops.length = 0;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    rewriteJsonLines(this.file, []);
    this.lines = 0;
  }
}

function isOp(x: unknown): x is Op {
  if (typeof x !== 'object' || x === null) return false;
  if ('del' in x) return typeof x.del === 'number';
  return 'put' in x && isOutstanding(x.put);
}

function isOutstanding(x: unknown): x is Outstanding {
  const o = x as Partial<Outstanding> | null;
  return typeof o === 'object' && o !== null && typeof o.logId === 'number' && typeof o.jobId === 'number' && typeof o.task === 'string'
    && typeof o.logDateTime === 'number' && (o.runId === undefined || typeof o.runId === 'string');
}
