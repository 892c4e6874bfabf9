import fs from 'node:fs';
import path from 'node:path';
import { JobctlError } from '../shared/errors.js';
import { replaceFile } from './new-file.js';
import { isMissing, recreateDir } from './recreated-dirs.js';

/** What a JSON-lines file held: the parsed lines, and how many could not be read. */
export interface JsonLines<T> {
  items: T[];
  /** Lines that were not valid JSON or not of the expected shape (a torn write after a crash). */
  bad: number;
  /** Bytes up to the end of the last complete line: what a writer may append after. */
  completeBytes: number;
  /** The file's size when read. */
  size: number;
}

/**
 * Read a JSON-lines file. A missing file is empty. A line that does not parse or fails
 * `accept` is skipped and counted, never thrown; a last line without its newline is torn
 * (a writer died or is writing it now) and is skipped and counted too.
 */
export function readJsonLines<T>(file: string, accept: (v: unknown) => v is T): JsonLines<T> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { items: [], bad: 0, completeBytes: 0, size: 0 };
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new JobctlError('IO_ERROR', `${file} is a directory, not a record file: move it away (the daemon writes the file there)`, { cause: e });
    throw e;
  }
  const items: T[] = [];
  let bad = 0;
  let start = 0;
  const size = Buffer.byteLength(text);
  let completeChars = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(start, end);
    if (nl >= 0) completeChars = nl + 1;
    if (line.trim() !== '') {
      if (nl < 0) bad++;
      else {
        try {
          const v: unknown = JSON.parse(line);
          if (accept(v)) items.push(v);
          else bad++;
        } catch {
          bad++;
        }
      }
    }
    start = end + 1;
  }
  const completeBytes = completeChars === text.length ? size : Buffer.byteLength(text.slice(0, completeChars));
  return { items, bad, completeBytes, size };
}

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
/** Opening never follows a symlink planted in state/ (the daemon may be root). */
const APPEND_NOFOLLOW = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW;

function writeWhole(file: string, flags: number, text: string): void {
  const fd = fs.openSync(file, flags, 0o600);
  try {
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** Run a write; when its directory was removed under us, create it again (said once) and retry. */
function withDir(file: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    if (!isMissing(e)) throw e;
    recreateDir(path.dirname(file));
    write();
  }
}

/**
 * Append records, one line each, in one write (O_APPEND: whole lines, in order).
 * `afterFailure`: the previous append to this file failed and may have left half a line
 * (a full disk); the records start on a line of their own, so they are not glued to it.
 */
export function appendJsonLines(file: string, items: readonly unknown[], afterFailure = false): number {
  const text = (afterFailure ? '\n' : '') + items.map((i) => JSON.stringify(i)).join('\n') + '\n';
  withDir(file, () => writeWhole(file, APPEND_NOFOLLOW, text));
  return Buffer.byteLength(text);
}

/**
 * Replace a JSON-lines file with these records in one step (temp file + rename), so a
 * reader sees the old file or the new one, never half of either. Returns bytes written.
 */
export function rewriteJsonLines(file: string, items: readonly unknown[]): number {
  const text = items.length ? items.map((i) => JSON.stringify(i)).join('\n') + '\n' : '';
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  withDir(file, () => replaceFile(file, tmp, text));
  return Buffer.byteLength(text);
}

/** Temp files `rewriteJsonLines` left in `dir` when its process was killed mid-rewrite. */
export function removeStaleTemps(dir: string, base?: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^\.(.+)\.(\d+)\.tmp$/.exec(n);
    if (!m || (base !== undefined && m[1] !== base) || Number(m[2]) === process.pid) continue;
    fs.rmSync(path.join(dir, n), { force: true });
  }
}

/** Cut a torn last line off, so the next append starts on a line of its own. */
export function truncateTorn(file: string, read: Pick<JsonLines<unknown>, 'completeBytes' | 'size'>): void {
  if (read.completeBytes < read.size) fs.truncateSync(file, read.completeBytes);
}
