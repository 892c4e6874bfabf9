import fs from 'node:fs';

/** Why a file named in a task or a registry was not read: it would block the loop, or is too big to be what it claims. */
export class NotRegularFileError extends Error {
  constructor(readonly file: string, readonly reason: 'not-regular' | 'too-large', detail: string) {
    super(detail);
  }
}

/**
 * The text of a regular file of at most `max` bytes, read synchronously but never blocking: it
 * is opened with O_NONBLOCK and checked before any read, so a FIFO, a socket or a device put at
 * its path (which a plain readFileSync would wait on for ever, holding the daemon's loop) is
 * refused, as is a file larger than `max`. `noFollow` also refuses a symlink (ELOOP). Errors of
 * open (ENOENT, EACCES) are thrown as they are.
 */
export function readRegularFile(file: string, opts: { max: number; noFollow?: boolean }): string {
  const flags = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (opts.noFollow ? fs.constants.O_NOFOLLOW : 0);
  const fd = fs.openSync(file, flags);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(file, 'not-regular', 'is not a regular file (a FIFO, socket or device would block the daemon)');
    if (st.size > opts.max) throw new NotRegularFileError(file, 'too-large', `is ${st.size} bytes, over the ${opts.max} allowed`);
    return readAtMost(fd, opts.max, st.size, file);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Read to the end, but never more than `max` bytes: the size fstat gave is only a hint (a file
 * of /proc or a FUSE mount says 0 and may go on, one being appended to grows while read).
 */
function readAtMost(fd: number, max: number, size: number, file: string): string {
  const chunk = Buffer.allocUnsafe(Math.min(max, Math.max(size, 4096)) + 1);
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    total += n;
    if (total > max) throw new NotRegularFileError(file, 'too-large', `is over the ${max} bytes allowed (it said ${size}, and grew while read)`);
    parts.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(parts, total).toString('utf8');
}

/**
 * Open a file for writing (flags: O_WRONLY|O_APPEND|O_CREAT…) without waiting: with O_NONBLOCK
 * a FIFO put at its path fails at once (ENXIO without a reader) instead of waiting for a reader
 * for ever on the daemon's loop, and a FIFO that has one is refused too (its writes would block
 * once the reader stops). O_NONBLOCK does nothing to a regular file's writes. Other errors of
 * open are thrown as they are. Returns the fd and the file's size (the one fstat it needs).
 */
export function openForWriteNoWait(file: string, flags: number, mode: number): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, flags | fs.constants.O_NONBLOCK, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') throw fifoRefused(file);
    throw e;
  }
  let st: fs.Stats | undefined;
  try {
    st = fs.fstatSync(fd);
  } finally {
    if (!st || st.isFIFO()) fs.closeSync(fd);
  }
  if (st.isFIFO()) throw fifoRefused(file);
  return { fd, size: st.size };
}

const fifoRefused = (file: string) =>
  Object.assign(new NotRegularFileError(file, 'not-regular', 'is not a regular file but a FIFO (an open or a write would wait for a reader, holding the daemon)'), { path: file });
