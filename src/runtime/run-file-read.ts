import fs from 'node:fs';

/**
 * Reading a JSON-lines run file without holding the event loop in proportion to its size:
 * the tail (read backwards in chunks, synchronously but bounded) for what start-up needs,
 * and the whole of it asynchronously, parsed in slices that yield to the loop.
 */

export interface ParsedLines<T> {
  items: T[];
  /** Lines that did not parse or were not of the expected shape. */
  bad: number;
}

/** Bytes read per step backwards: a few dozen records. */
const CHUNK = 8 * 1024;

function parseInto<T>(text: string, accept: (v: unknown) => v is T, out: ParsedLines<T>): void {
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const line = text.slice(start, nl);
    start = nl + 1;
    if (line.trim() === '') continue;
    try {
      const v: unknown = JSON.parse(line);
      if (accept(v)) out.items.push(v);
      else out.bad++;
    } catch {
      out.bad++;
    }
  }
}

/**
 * The last complete lines of a file, in file order, read backwards `CHUNK` bytes at a time
 * until `enough(items)` says so or the file's start is reached. `end`: bytes of the file
 * that count (complete lines; a torn last line is the caller's).
 */
export function readTailLines<T>(file: string, end: number, accept: (v: unknown) => v is T, enough: (items: readonly T[]) => boolean): ParsedLines<T> {
  const fd = fs.openSync(file, 'r');
  try {
    let pos = end;
    let carry = Buffer.alloc(0);
    const chunks: Array<ParsedLines<T>> = [];
    const all = () => chunks.flatMap((c) => c.items);
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, pos);
      let joined = Buffer.concat([buf, carry]);
      // The first line of a chunk may have begun in the chunk before: keep it for the next round.
      if (pos > 0) {
        const nl = joined.indexOf(0x0a);
        if (nl < 0) {
          carry = joined;
          continue;
        }
        carry = joined.subarray(0, nl + 1);
        joined = joined.subarray(nl + 1);
      } else carry = Buffer.alloc(0);
      const part: ParsedLines<T> = { items: [], bad: 0 };
      parseInto(joined.toString('utf8'), accept, part);
      chunks.unshift(part);
      if (enough(all())) break;
    }
    return { items: all(), bad: chunks.reduce((a, c) => a + c.bad, 0) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Bytes [from, to) of a file as lines (synchronous: for the few lines appended during a background read). */
export function readLinesBetween<T>(file: string, from: number, to: number, accept: (v: unknown) => v is T): ParsedLines<T> {
  const out: ParsedLines<T> = { items: [], bad: 0 };
  if (to <= from) return out;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    parseInto(buf.toString('utf8'), accept, out);
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

/** Lines parsed per loop turn by readLinesAsync. */
const SLICE_LINES = 500;

/** The first `size` bytes of a file as lines: read asynchronously, parsed in slices that yield to the loop. */
export async function readLinesAsync<T>(file: string, size: number, accept: (v: unknown) => v is T): Promise<ParsedLines<T>> {
  const out: ParsedLines<T> = { items: [], bad: 0 };
  if (size <= 0) return out;
  const handle = await fs.promises.open(file, 'r');
  let text: string;
  try {
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await handle.read(buf, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    text = buf.subarray(0, got).toString('utf8');
  } finally {
    await handle.close();
  }
  let start = 0;
  while (start < text.length) {
    let end = start;
    for (let n = 0; n < SLICE_LINES && end < text.length; n++) {
      const nl = text.indexOf('\n', end);
      end = nl < 0 ? text.length : nl + 1;
    }
    parseInto(text.slice(start, end), accept, out);
    start = end;
    if (start < text.length) await new Promise((r) => setImmediate(r));
  }
  return out;
}
