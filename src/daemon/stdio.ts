import fs from 'node:fs';

/** Something the daemon log can write a line to. */
export interface LineOutput {
  write(text: string): void;
}

/**
 * The daemon's output: stderr while it works, then a file. A daemon never depends on its
 * stdio: when stderr fails (EPIPE after `| head -1` or a killed `tee`, EBADF when closed),
 * the stream's error is absorbed (an unhandled stream error would become an uncaught
 * exception whose report fails again, forever) and the log goes on in `fallbackPath`
 * (state/daemon.log); if that fails too, lines are dropped. write() never throws.
 */
export class DaemonOutput implements LineOutput {
  private failed: string | undefined;
  private fd: number | undefined;
  private fileFailed = false;

  constructor(private readonly primary: NodeJS.WritableStream, private readonly fallbackPath?: string) {
    primary.on('error', (e: NodeJS.ErrnoException) => this.fail(e.code ?? e.message));
  }

  /** Why stderr was given up, if it was. */
  get primaryFailed(): string | undefined {
    return this.failed;
  }

  write(text: string): void {
    const stream = this.primary as NodeJS.WritableStream & { destroyed?: boolean; writable?: boolean };
    if (this.failed === undefined && stream.destroyed !== true && stream.writable !== false) {
      try {
        stream.write(text);
        return;
      } catch (e) {
        this.fail((e as NodeJS.ErrnoException).code ?? String(e));
      }
    }
    this.toFile(text);
  }

  private fail(code: string): void {
    if (this.failed !== undefined) return;
    this.failed = code;
    this.toFile(`${new Date().toISOString()} warn  stderr failed (${code}); the daemon log continues here\n`);
  }

  private toFile(text: string): void {
    if (!this.fallbackPath || this.fileFailed) return;
    try {
      this.fd ??= fs.openSync(this.fallbackPath, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    } catch {
      return; // no state/ yet: this line is dropped, the next one tries again
    }
    try {
      fs.writeSync(this.fd, text);
    } catch {
      this.fileFailed = true; // nowhere left to write (disk full, EIO): drop quietly from now on
    }
  }

  /** Safe to call twice. */
  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = undefined;
  }
}

/** Absorb errors on a stream the daemon does not write to (stdout), so they never become uncaught. */
export function absorbErrors(stream: NodeJS.WritableStream): void {
  stream.on('error', () => undefined);
}

/**
 * An uncaught error or rejection, reported once through `out`. A report that itself fails
 * is dropped, never reported again (no recursion); a storm of them is capped per second.
 */
export function uncaughtReporter(out: LineOutput, perSecond = 20): (what: string, e: unknown) => void {
  let reporting = false;
  let windowStart = 0;
  let inWindow = 0;
  return (what, e) => {
    if (reporting) return;
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      inWindow = 0;
    }
    if (++inWindow > perSecond) return;
    reporting = true;
    try {
      const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
      out.write(`${new Date(now).toISOString()} error jobctl daemon: ${what}: ${detail}\n`);
    } catch {
      /* nowhere to report it */
    } finally {
      reporting = false;
    }
  };
}
