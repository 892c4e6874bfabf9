import fs from 'node:fs';

/**
 * The small files read on the sampling path (/proc/<pid>/stat and statm, cgroup.procs,
 * cpu.stat), read into one shared buffer with open/read/close: no fstat and no allocation per
 * read, which is most of what a read costs when 1,000 instances are sampled every 2 s.
 * These are seq_file files: one read returns a whole one-record file (stat, statm, cpu.stat),
 * and a many-record file (cgroup.procs: records of 8 bytes at most) a page or so at a time, so
 * a read that returned less than half a page ended the file: no extra read to see 0.
 * Undefined when the file cannot be read (a process or cgroup gone).
 */
const SURELY_ALL = 2048;

let buf = Buffer.allocUnsafe(16 * 1024);

export function readSmall(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let n = 0;
    for (;;) {
      const room = buf.length - n;
      const got = fs.readSync(fd, buf, n, room, null);
      n += got;
      if (got === 0 || (got < room && got < SURELY_ALL)) break;
      if (got < room) continue;
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, n);
      buf = bigger;
    }
    return buf.toString('latin1', 0, n);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** The numbers of a file with one per line (cgroup.procs), without splitting strings. */
export function readNumbers(file: string): number[] {
  const text = readSmall(file);
  const out: number[] = [];
  if (!text) return out;
  let v = 0;
  let digits = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits = true;
    } else {
      if (digits) out.push(v);
      v = 0;
      digits = false;
    }
  }
  if (digits) out.push(v);
  return out;
}
