import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConfigRead, ConfigReadJob } from '../config/read-config.js';
import { JobctlError } from '../shared/errors.js';

/** Reads the configuration (jobctl.yaml and a task directory) and resolves to it as plain data. */
export interface ConfigReader {
  read(job: ConfigReadJob): Promise<ConfigRead>;
  /** A read is coming (a file changed): start the reader now, so its start overlaps the watcher's quiet time. */
  prepare(): void;
  /** End every reader process and wait for it to be gone; later reads fail. Safe to call twice. */
  close(): Promise<void>;
}

/** From the sources (tsx, vitest) the reader is a .ts file, run through tsx. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');

/** The reader's entry: from the sources its .ts; in dist its bundle (scripts/build-bundles.mjs), else its .js. */
function readerEntry(): string {
  if (FROM_SOURCES) return fileURLToPath(new URL('../config/config-child.ts', import.meta.url));
  const bundle = fileURLToPath(new URL('../config/config-child.cjs', import.meta.url));
  return fs.existsSync(bundle) ? bundle : fileURLToPath(new URL('../config/config-child.js', import.meta.url));
}

type Reply = { ok: true; read: ConfigRead } | { ok: false; message: string };

/**
 * Each read in a short-lived child process that exits once it has answered (`fork`,
 * structured-clone IPC): yaml, zod and the config pipeline are never resident in the daemon,
 * at start, on each reload and for `plan`. (A worker thread was measured too: its heap goes when
 * it ends, but the daemon keeps ~3 MB more than with a child, in the thread's malloc arena.)
 * The child runs as the daemon's user, so the file-trust checks are the same. A child started
 * by prepare() and given no job exits by itself after a while (config/config-child.ts).
 */
export class ChildConfigReader implements ConfigReader {
  private ready: ChildProcess | undefined;
  /** Every reader process still alive (prepared or reading): the daemon's stop waits for them. */
  private readonly alive = new Set<ChildProcess>();
  private closed = false;

  /**
   * `timeoutMs`: how long one read may take before its reader is killed and the read fails
   * (a stopped or wedged reader must not hold every later reload, nor the daemon's start).
   * Read at each read: a change applies to the next one.
   */
  constructor(public timeoutMs = READ_TIMEOUT_MS) {}

  prepare(): void {
    if (this.ready?.connected || this.closed) return;
    const child = this.start();
    this.ready = child;
    child.once('exit', () => {
      if (this.ready === child) this.ready = undefined;
    });
  }

  async read(job: ConfigReadJob): Promise<ConfigRead> {
    if (this.closed) throw shuttingDown();
    const prepared = this.ready;
    this.ready = undefined;
    if (prepared?.connected) {
      // (It may have given up waiting just now: then a fresh one reads.)
      try {
        return await ask(prepared, job, this.timeoutMs);
      } catch (e) {
        if (!(e instanceof ReaderGone)) throw e;
      }
    }
    // (The prepared reader may also be gone because close() ended it: then none starts.)
    if (this.closed) throw shuttingDown();
    return ask(this.start(), job, this.timeoutMs);
  }

  /**
   * The daemon stops: a reader it leaves would exit on its own a moment later (the IPC channel
   * closes), but "stopped" means no process of the daemon's is left, so each is killed and waited for.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.ready = undefined;
    await Promise.all([...this.alive].map((child) => {
      // A fork that failed (its 'error' still to come) has no process: nothing to wait for.
      if (child.pid === undefined) return undefined;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      return gone;
    }));
  }

  private start(): ChildProcess {
    const child = start();
    this.alive.add(child);
    child.once('exit', () => this.alive.delete(child));
    // A fork that failed (EAGAIN) has no process to wait for, and no 'exit' comes.
    child.once('error', () => child.pid === undefined && this.alive.delete(child));
    return child;
  }
}

/** 1,000 task files read in a few seconds on a busy 2-core host: a minute is a reader that is stuck. */
const READ_TIMEOUT_MS = 60_000;

class ReaderGone extends JobctlError {}

const shuttingDown = () => new JobctlError('SHUTTING_DOWN', 'the daemon is shutting down; the configuration was not read');

function ask(child: ChildProcess, job: ConfigReadJob, timeoutMs: number): Promise<ConfigRead> {
  return new Promise<ConfigRead>((resolve, reject) => {
    let answered = false;
    const timer = setTimeout(() => {
      fail(new JobctlError('TIMEOUT', `reading the configuration failed: the reader (pid ${child.pid}) did not answer within ${Math.round(timeoutMs / 1000)}s; it was killed`));
      child.kill('SIGKILL');
    }, timeoutMs);
    const fail = (e: JobctlError) => {
      clearTimeout(timer);
      if (!answered) reject(e);
      answered = true;
    };
    child.once('message', (reply: Reply) => {
      clearTimeout(timer);
      if (reply.ok && !answered) resolve(reply.read);
      else fail(new JobctlError('INTERNAL', `reading the configuration failed: ${reply.ok ? 'answered twice' : reply.message}`));
      answered = true;
    });
    child.once('error', (e) => fail(new JobctlError('INTERNAL', `reading the configuration failed: ${e.message}`)));
    child.once('exit', (code, signal) => fail(new ReaderGone('INTERNAL', `reading the configuration failed: the reader exited (${signal ?? code}) without an answer`)));
    child.send(job, (e) => e && fail(new ReaderGone('INTERNAL', `reading the configuration failed: ${e.message}`)));
  });
}

/**
 * The node the daemon runs: its path, or, when that path is gone (node removed or moved by an
 * upgrade while the daemon runs), the same binary through /proc/self/exe, which the kernel
 * keeps while the daemon lives.
 */
function nodeBinary(): string {
  return process.platform === 'linux' && !fs.existsSync(process.execPath) ? '/proc/self/exe' : process.execPath;
}

function start(): ChildProcess {
  const child = fork(readerEntry(), [], {
    execPath: nodeBinary(), serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: FROM_SOURCES ? ['--import', 'tsx'] : [],
  });
  child.on('error', () => undefined); // reported by the read that uses it
  return child;
}
