import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { packageRootFrom } from '../../config/package-root.js';

/**
 * The spawner that does not fork the daemon (native/spawn.c): the loop hands a start over
 * (`submit`) and a spawner thread does the vfork + exec, so the loop never waits for the child
 * to be scheduled; the outcome (pid, pipes, start time, or why it failed) and later the exit
 * arrive on one pipe as 32-byte records, read here as a stream. A child's exit always comes
 * after its start on that pipe. Loaded once; `nativeSpawner()` is undefined where the addon
 * was not built (no C compiler), cannot load, or the kernel lacks pidfd_open, and then
 * `child_process` serves every start.
 */

interface Addon {
  init(threads: number): number;
  submit(id: number, file: string, argv: string[], envp: string[], cwd: string, join: string[], pathDirs: string[], pdeathsig: boolean): void;
  strerror(errno: number): string;
  /** malloc_trim(0); absent from an addon built before it. */
  trim?(): boolean;
}

export interface NativeChild {
  pid: number;
  /** /proc start time in clock ticks; -1 when unreadable. */
  startTime: number;
  stdout: Readable;
  stderr: Readable;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Why a start failed: where the child (or the spawner thread) stopped, and the errno. */
export interface NativeSpawnError extends Error {
  stage: 'setsid' | 'join' | 'chdir' | 'exec' | 'stdio' | 'pipe2' | 'vfork' | 'pidfd_open' | 'submit';
  errno: number;
  /** The join file that refused (stage 'join'). */
  index: number;
}

export interface NativeSpawner {
  /**
   * Start `file` (a path, or a name searched in `pathDirs`) with argv[0] `argv0`, after joining
   * the `join` cgroup.procs files, with SIGTERM on the daemon's death when `pdeathsig`. Resolves
   * once a spawner thread has started it; rejects with a NativeSpawnError.
   */
  spawn(file: string, argv0: string, args: string[], env: Record<string, string | undefined>, cwd: string, join: string[], pathDirs: string[], pdeathsig: boolean): Promise<NativeChild>;
  /** How often the C heap was trimmed after a burst of starts and exits (TRIM_AFTER, TRIM_QUIET_MS). */
  readonly trims: number;
}

/**
 * Where `npm run build` puts the addon (scripts/build-native.mjs): `native/build/` of the package
 * root, the first folder above `from` that holds a package.json (from src/, dist/ or the daemon's
 * bundle in dist/daemon-bundle/ alike).
 */
export function addonPathFrom(from: string): string {
  return path.join(packageRootFrom(from), 'native/build/jobctl_spawn.node');
}

export const ADDON_PATH = addonPathFrom(path.dirname(fileURLToPath(import.meta.url)));

const SIGNAL_NAMES = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));
const STAGES: Record<number, NativeSpawnError['stage']> = { 1: 'setsid', 2: 'join', 3: 'chdir', 4: 'exec', 5: 'stdio', 6: 'pipe2', 7: 'vfork', 8: 'pidfd_open', 9: 'submit' };
/** Spawner threads: two, so one child slow to reach its exec does not hold up the next start. */
const SPAWNER_THREADS = 2;
const RECORD = 32;
/** Records handled in one pass of the loop (a start's record costs ~0.1–0.3 ms of callbacks). */
const RECORDS_PER_PASS = 32;
/** Starts and exits that make a burst worth a trim of the C heap, once none came for TRIM_QUIET_MS. */
const TRIM_AFTER = 64;
const TRIM_QUIET_MS = 2000;

let loaded: NativeSpawner | null | undefined;
/** Why the addon is not in use (for `status` and the daemon log). */
export let nativeSpawnerReason = '';

export function nativeSpawner(): NativeSpawner | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

function load(): NativeSpawner | null {
  if (process.platform !== 'linux') {
    nativeSpawnerReason = 'not Linux';
    return null;
  }
  if (!fs.existsSync(ADDON_PATH)) {
    nativeSpawnerReason = 'not built (npm run build compiles it where a C compiler is)';
    return null;
  }
  let addon: Addon;
  let fd: number;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    fd = addon.init(SPAWNER_THREADS);
  } catch (e) {
    nativeSpawnerReason = `cannot load: ${(e as Error).message}`;
    return null;
  }
  return new Spawner(addon, fd);
}

type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

class Spawner implements NativeSpawner {
  private readonly exits = new Map<number, (s: ExitStatus) => void>();
  private readonly starts = new Map<number, { resolve: (c: NativeChild) => void; reject: (e: Error) => void }>();
  private readonly notify: net.Socket;
  private pending: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private referenced = false;
  /** Records are waiting for the next pass. */
  private draining = false;
  /** Records since the C heap was last trimmed, and the quiet-time timer of the next trim. */
  private sinceTrim = 0;
  private trimTimer: NodeJS.Timeout | undefined;
  trims = 0;

  constructor(private readonly addon: Addon, fd: number) {
    this.notify = new net.Socket({ fd, readable: true, writable: false });
    this.notify.on('data', (chunk: Buffer) => this.onRecords(chunk));
    this.notify.on('error', () => undefined);
    // Like a child_process handle: the loop stays alive while a start or a child is under way, not longer.
    this.notify.unref();
    // The daemon's start (its modules compiled, the configuration read) leaves freed pages in the
    // C heap too: counted as a burst, they go back TRIM_QUIET_MS after it (~0.6 MB, issue 28).
    this.afterRecords(TRIM_AFTER);
  }

  private holdLoop(): void {
    const busy = this.exits.size + this.starts.size > 0;
    if (busy === this.referenced) return;
    this.referenced = busy;
    if (busy) this.notify.ref();
    else this.notify.unref();
  }

  /**
   * Records are handled in bounded passes (RECORDS_PER_PASS, then the rest on the next turn of
   * the loop): a burst of 1,000 starts must not hold the socket for all of its callbacks at once.
   */
  private onRecords(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.draining) this.drain();
  }

  private drain(): void {
    const buf = this.pending;
    let at = 0;
    for (let n = 0; n < RECORDS_PER_PASS && buf.length - at >= RECORD; n++, at += RECORD) {
      const kind = buf.readInt32LE(at);
      if (kind === 1) this.onExit(buf.readInt32LE(at + 4), buf.readInt32LE(at + 8), buf.readInt32LE(at + 12));
      else if (kind === 2) this.onStarted(buf, at);
      else if (kind === 3) this.onFailed(buf.readInt32LE(at + 4), buf.readInt32LE(at + 8), buf.readInt32LE(at + 12), buf.readInt32LE(at + 16));
    }
    this.pending = at < buf.length ? Buffer.from(buf.subarray(at)) : Buffer.alloc(0);
    this.draining = this.pending.length >= RECORD;
    if (this.draining) setImmediate(() => this.drain());
    this.holdLoop();
    this.afterRecords(at / RECORD);
  }

  /**
   * A burst of starts and exits leaves the C heap holding freed pages (the start's strings are
   * copied on the loop's thread and freed on a spawner thread; output buffers come and go): once
   * TRIM_AFTER records came and then none for TRIM_QUIET_MS, they go back to the system. A steady
   * load keeps pushing the timer back and is never trimmed; a trim costs well under a millisecond.
   */
  private afterRecords(n: number): void {
    this.sinceTrim += n;
    if (this.sinceTrim < TRIM_AFTER || typeof this.addon.trim !== 'function') return;
    if (this.trimTimer) {
      this.trimTimer.refresh();
      return;
    }
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      this.sinceTrim = 0;
      this.trims++;
      this.addon.trim!();
    }, TRIM_QUIET_MS);
    this.trimTimer.unref();
  }

  private onExit(pid: number, code: number, signal: number): void {
    const done = this.exits.get(pid);
    if (!done) return;
    this.exits.delete(pid);
    done(signal > 0 ? { code: null, signal: SIGNAL_NAMES.get(signal) ?? 'SIGKILL' } : { code: code >= 0 ? code : null, signal: null });
  }

  private onStarted(buf: Buffer, at: number): void {
    const id = buf.readInt32LE(at + 4);
    const pid = buf.readInt32LE(at + 8);
    const out = buf.readInt32LE(at + 12);
    const err = buf.readInt32LE(at + 16);
    const startTime = buf.readInt32LE(at + 28) * 2 ** 32 + buf.readUInt32LE(at + 24);
    // Registered before the next record is read: this child's exit comes later on the pipe.
    const exit = new Promise<ExitStatus>((resolve) => this.exits.set(pid, resolve));
    const child: NativeChild = { pid, startTime, exit, stdout: pipeStream(out), stderr: pipeStream(err) };
    const waiter = this.starts.get(id);
    this.starts.delete(id);
    waiter?.resolve(child);
  }

  private onFailed(id: number, errno: number, stage: number, index: number): void {
    const waiter = this.starts.get(id);
    this.starts.delete(id);
    waiter?.reject(spawnError(STAGES[stage] ?? 'exec', errno, index, this.addon.strerror(errno)));
  }

  spawn(file: string, argv0: string, args: string[], env: Record<string, string | undefined>, cwd: string, join: string[], pathDirs: string[], pdeathsig: boolean): Promise<NativeChild> {
    const envp: string[] = [];
    for (const k in env) {
      const v = env[k];
      if (v !== undefined) envp.push(`${k}=${v}`);
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    return new Promise<NativeChild>((resolve, reject) => {
      try {
        this.addon.submit(id, file, [argv0, ...args], envp, cwd, join, pathDirs, pdeathsig);
      } catch (e) {
        reject(spawnError('submit', os.constants.errno.ENOMEM, -1, (e as Error).message));
        return;
      }
      this.starts.set(id, { resolve, reject });
      this.holdLoop();
    });
  }
}

function spawnError(stage: NativeSpawnError['stage'], errno: number, index: number, why: string): NativeSpawnError {
  const e = new Error(`${stage}: ${why}`) as NativeSpawnError;
  e.stage = stage;
  e.errno = errno;
  e.index = index;
  return e;
}

/**
 * A child's output pipe. Reading starts when a consumer does (`manualStart`, as Node's own
 * child_process stdio): the start resolves a moment after the pid is known, and a short-lived
 * child's pipe must not reach its end and close before its caller has looked.
 */
function pipeStream(fd: number): Readable {
  const s = new net.Socket({ fd, readable: true, writable: false, manualStart: true } as net.SocketConstructorOpts);
  s.on('error', () => undefined);
  return s;
}
