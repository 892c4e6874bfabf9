import fs from 'node:fs';

/** Reading the end of log files without loading them whole. */

/** The last n lines of a file (without newlines), reading at most maxBytes from its end. */
export function tailLines(file: string, n: number, maxBytes = 8 * 1024 * 1024): string[] {
  if (n <= 0) return [];
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    let want = Math.min(size, Math.max(4096, n * 256));
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const read = fs.readSync(fd, buf, 0, want, size - want);
      const text = buf.subarray(0, read).toString('utf8');
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      const complete = want >= size;
      if (!complete) lines.shift(); // the first line may be cut
      if (lines.length >= n || complete || want >= maxBytes) return lines.slice(-n);
      want = Math.min(size, want * 4, maxBytes);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The last n lines across a log and its rotated files (`.1` is the newest rotated one). */
export function tailRotated(file: string, n: number): { lines: string[]; files: string[] } {
  const out: string[] = [];
  const files: string[] = [];
  for (let i = 0; out.length < n && i <= 50; i++) {
    const f = i === 0 ? file : `${file}.${i}`;
    if (!fs.existsSync(f)) {
      if (i === 0) continue;
      break;
    }
    files.unshift(f);
    out.unshift(...tailLines(f, n - out.length));
  }
  return { lines: out.slice(-n), files };
}

export { lineTime, mergeByTime, tagInstance } from '../shared/log-line.js';
