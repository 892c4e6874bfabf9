import fs from 'node:fs';

/** Reading the end of log files without loading them whole. */

/** Bytes read per step, from the end backwards. */
const CHUNK = 64 * 1024;
/**
 * What one read of a log may cost, in bytes read from disk over all its rotated files: a
 * `logs -n 100000` over hundreds of MB of long lines reads this much and answers with the
 * newest lines that fit, instead of holding the daemon's memory and loop. It also keeps the
 * reply under the protocol's 1 MiB line.
 */
export const TAIL_BUDGET_BYTES = 512 * 1024;

/** Bytes still allowed for one request; shared by the files it reads. */
export interface TailBudget {
  bytes: number;
  /** Set when the budget ran out before n lines were found. */
  exhausted?: boolean;
}

/**
 * The last n lines of a file (without newlines), read backwards in 64 KiB steps and never
 * more than the budget. A line cut by the budget is left out, not half-shown.
 */
export function tailLines(file: string, n: number, budget: TailBudget = { bytes: TAIL_BUDGET_BYTES }): string[] {
  if (n <= 0 || budget.bytes <= 0) return [];
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put at a log's path (mkfifo state/logs/w/0.log) is opened at once,
    // not waited on for a writer with the daemon's loop held; then it is no log: nothing read.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return [];
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return [];
    const lines: string[] = [];
    let pos = st.size;
    let partial: Buffer[] = []; // the bytes after the last newline seen, newest last
    let first = true;
    while (pos > 0 && lines.length < n) {
      if (budget.bytes <= 0) {
        budget.exhausted = true;
        return lines.reverse();
      }
      const want = Math.min(CHUNK, pos, budget.bytes);
      const buf = Buffer.allocUnsafe(want);
      const got = fs.readSync(fd, buf, 0, want, pos - want);
      pos -= want;
      budget.bytes -= want;
      let end = got;
      for (let nl = buf.lastIndexOf(10, end - 1); nl !== -1 && lines.length < n; nl = end > 0 ? buf.lastIndexOf(10, end - 1) : -1) {
        const tail = Buffer.concat([buf.subarray(nl + 1, end), ...partial]);
        partial = [];
        // The file's final newline ends the last line; it does not start an empty one.
        if (!(first && tail.length === 0)) lines.push(tail.toString('utf8'));
        first = false;
        end = nl;
      }
      if (lines.length < n) partial = [buf.subarray(0, end), ...partial];
    }
    if (pos === 0 && lines.length < n) {
      const head = Buffer.concat(partial);
      if (head.length) lines.push(head.toString('utf8'));
    }
    return lines.reverse();
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The last n lines across a log and its rotated files (`.1` is the newest rotated one), for
 * at most the budget's bytes over all of them.
 */
export function tailRotated(file: string, n: number, budget: TailBudget = { bytes: TAIL_BUDGET_BYTES }): { lines: string[]; files: string[]; capped?: boolean } {
  const out: string[] = [];
  const files: string[] = [];
  for (let i = 0; out.length < n && i <= 50 && budget.bytes > 0; i++) {
    const f = i === 0 ? file : `${file}.${i}`;
    if (!fs.existsSync(f)) {
      if (i === 0) continue;
      break;
    }
    files.unshift(f);
    const got = tailLines(f, n - out.length, budget);
    for (let k = got.length - 1; k >= 0; k--) out.push(got[k]!); // newest first while collecting
  }
  out.reverse();
  return { lines: out.slice(-n), files, ...(budget.exhausted || (budget.bytes <= 0 && out.length < n) ? { capped: true } : {}) };
}

export { lineTime, mergeByTime, tagInstance } from '../shared/log-line.js';
