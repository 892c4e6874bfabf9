import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { isMissing, recreateDir } from './recreated-dirs.js';
import { openForWriteNoWait } from './regular-file.js';

export interface LogFileOptions {
  path: string;
  /** Rotate once the file reaches this many bytes. */
  maxSize: number;
  /** Rotated files kept: `<path>.1` (newest) … `<path>.<keep>`. 0 keeps none. */
  keep: number;
  /** Called for each failed write (full disk…); the batch is counted in `droppedBytes`. */
  onError?: (e: NodeJS.ErrnoException) => void;
  /** Write directly when nothing is queued (fast on local disks). @default true */
  directWrites?: boolean;
}

/**
 * Opening never follows a symlink planted in state/logs (the daemon may be root), and never
 * waits on a FIFO put there (openForWriteNoWait: refused, its output is dropped and warned).
 */
const APPEND_NOFOLLOW = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;
/** How often a file being written is checked for having been removed (rm -rf state/logs). */
const REMOVED_CHECK_MS = 1000;

/** Bytes queued before write() asks the producer to wait for 'drain'. */
const HIGH_WATER = 1024 * 1024;

/**
 * An append-only log file with size-based rotation and backpressure. Writes are queued and
 * written in order with writev; rotation happens between writes, so no byte is lost or
 * split across a rotation by us. Memory stays bounded because producers pause when
 * write() returns false and resume on 'drain'.
 */
export class LogFile extends EventEmitter {
  readonly path: string;
  private fd: number | null = null;
  private size = 0;
  private queue: Buffer[] = [];
  private queued = 0;
  private inflight = 0;
  private writing = false;
  private closed = false;
  private needDrain = false;
  /** Direct writes stay on while they are fast and succeed. */
  private syncOk: boolean;
  private closing: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];
  private checkedAt = 0;
  /** Bytes that could not be written (full disk…). */
  droppedBytes = 0;
  /** Bytes written since open. */
  written = 0;

  constructor(private opts: LogFileOptions) {
    super();
    this.path = opts.path;
    this.syncOk = opts.directWrites ?? true;
    fs.mkdirSync(path.dirname(opts.path), { recursive: true });
    this.open();
  }

  /** New rotation limits, from the next write on (a `logs` edit: the process goes on). */
  setLimits(maxSize: number, keep: number): void {
    this.opts = { ...this.opts, maxSize, keep };
  }

  private open(): void {
    this.checkedAt = Date.now();
    try {
      let opened: { fd: number; size: number };
      try {
        opened = openForWriteNoWait(this.path, APPEND_NOFOLLOW, 0o640);
      } catch (e) {
        if (!isMissing(e)) throw e;
        recreateDir(path.dirname(this.path)); // its directory was removed: create it again
        opened = openForWriteNoWait(this.path, APPEND_NOFOLLOW, 0o640);
      }
      this.fd = opened.fd;
      this.size = opened.size;
    } catch (e) {
      this.fd = null;
      this.opts.onError?.(e as NodeJS.ErrnoException);
    }
  }

  /**
   * A file removed while open (its link count is 0) takes writes that nobody can read:
   * checked at most once a second while writing, and opened again where it belongs.
   */
  private reopenIfRemoved(): void {
    const now = Date.now();
    if (this.fd === null || now - this.checkedAt < REMOVED_CHECK_MS || this.writing) return;
    this.checkedAt = now;
    try {
      if (fs.fstatSync(this.fd).nlink > 0) return;
      fs.closeSync(this.fd);
    } catch {
      /* closed under us: open again */
    }
    this.fd = null;
    this.open();
  }

  /** Queue bytes; false means "pause until 'drain'". */
  write(chunk: Buffer): boolean {
    if (this.closed || chunk.length === 0) return true;
    this.reopenIfRemoved();
    if (!this.writing && this.queue.length === 0 && this.fd !== null && this.syncOk && this.size + chunk.length <= this.opts.maxSize) {
      // Fast path: nothing queued or in flight, so a direct write keeps the order. A write
      // to the page cache takes microseconds; if one is slow (a busy or network disk), or
      // fails, later writes go through the thread pool instead.
      const t0 = performance.now();
      try {
        const n = fs.writeSync(this.fd, chunk);
        this.size += n;
        this.written += n;
        if (performance.now() - t0 > 20) this.syncOk = false;
        if (n === chunk.length) return true;
        chunk = chunk.subarray(n);
      } catch {
        this.syncOk = false; // the async path reports the error and counts the loss
      }
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (!this.writing) this.flush();
    if (this.queued + this.inflight >= HIGH_WATER) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  private flush(): void {
    if (this.needDrain && this.queued < HIGH_WATER / 2) {
      // Producers resume while the rest is written, so the pipe stays busy.
      this.needDrain = false;
      this.emit('drain');
    }
    if (this.queue.length === 0) {
      this.writing = false;
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.writing = true;
    if (this.fd === null) this.open();
    // Take whole chunks up to the room left before rotation (at least one), so a file
    // passes max_size by less than one chunk.
    const room = Math.max(1, this.opts.maxSize - this.size);
    let take = 0;
    let bytes = 0;
    while (take < this.queue.length && (take === 0 || bytes + this.queue[take]!.length <= room)) {
      bytes += this.queue[take]!.length;
      take++;
    }
    const batch = this.queue.splice(0, take);
    this.queued -= bytes;
    this.inflight = bytes;
    if (this.fd === null) {
      this.droppedBytes += bytes;
      setImmediate(() => this.flush());
      return;
    }
    const done = (err: NodeJS.ErrnoException | null, n: number) => {
      this.inflight = 0;
      if (err) {
        this.droppedBytes += bytes;
        this.opts.onError?.(err);
      } else {
        this.size += n;
        this.written += n;
        if (n < bytes) {
          // A short write: put the rest back in front.
          const rest = Buffer.concat(batch).subarray(n);
          this.queue.unshift(rest);
          this.queued += rest.length;
        }
      }
      if (this.size >= this.opts.maxSize) this.rotate();
      this.flush();
    };
    if (batch.length === 1) fs.write(this.fd, batch[0]!, 0, bytes, null, done);
    else fs.writev(this.fd, batch, (err, n) => done(err, n));
  }

  /** `<path>` -> `<path>.1` -> … -> `<path>.<keep>`; the oldest is dropped. Runs between writes. */
  private rotate(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = null;
    }
    try {
      if (this.opts.keep <= 0) fs.rmSync(this.path, { force: true });
      else {
        for (let i = this.opts.keep - 1; i >= 1; i--) {
          const from = `${this.path}.${i}`;
          if (fs.existsSync(from)) fs.renameSync(from, `${this.path}.${i + 1}`);
        }
        fs.renameSync(this.path, `${this.path}.1`);
      }
    } catch (e) {
      this.opts.onError?.(e as NodeJS.ErrnoException);
    }
    this.open();
    this.emit('rotate');
  }

  /** Resolves when everything queued so far is written. */
  idle(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flush and close. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.idle();
      this.closed = true;
      if (this.fd !== null) {
        try {
          fs.closeSync(this.fd);
        } catch {
          /* ignore */
        }
        this.fd = null;
      }
    })();
    return this.closing;
  }
}
