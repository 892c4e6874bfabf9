import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/**
 * The spawner that does not fork the daemon (native/spawn.c): vfork + one exec, exits learned
 * through a pidfd per child and read here as a stream of 12-byte records (pid, code, signal).
 * Loaded once; `nativeSpawner()` is undefined where the addon was not built (no C compiler),
 * cannot load, or the kernel lacks pidfd_open, and then `child_process` serves every start.
 */

interface Addon {
  init(): number;
  spawn(file: string, argv: string[], envp: string[], cwd: string, join: string[], pathDirs: string[], pdeathsig: boolean): [number, number, number, number];
}

export interface NativeChild {
  pid: number;
  /** /proc start time in clock ticks; -1 when unreadable. */
  startTime: number;
  stdout: Readable;
  stderr: Readable;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface NativeSpawner {
  /**
   * Start `file` (a path, or a name searched in `pathDirs`) with argv[0] `argv0`, after joining
   * the `join` cgroup.procs files, with SIGTERM on the daemon's death when `pdeathsig`. Throws
   * an Error with `stage` ('chdir', 'exec', 'join' with `index`, …) and `errno`.
   */
  spawn(file: string, argv0: string, args: string[], env: Record<string, string | undefined>, cwd: string, join: string[], pathDirs: string[], pdeathsig: boolean): NativeChild;
}

/** Where `npm run build` puts the addon (scripts/build-native.mjs), from src/ or dist/ alike. */
export const ADDON_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../native/build/jobctl_spawn.node');

const SIGNAL_NAMES = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

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
    fd = addon.init();
  } catch (e) {
    nativeSpawnerReason = `cannot load: ${(e as Error).message}`;
    return null;
  }
  return new Spawner(addon, fd);
}

class Spawner implements NativeSpawner {
  private readonly exits = new Map<number, (s: { code: number | null; signal: NodeJS.Signals | null }) => void>();
  private readonly notify: net.Socket;
  private pending = Buffer.alloc(0);

  constructor(private readonly addon: Addon, fd: number) {
    this.notify = new net.Socket({ fd, readable: true, writable: false });
    this.notify.on('data', (chunk: Buffer) => this.onRecords(chunk));
    this.notify.on('error', () => undefined);
    // Like a child_process handle: the loop stays alive while a child is running, not longer.
    this.notify.unref();
  }

  private onRecords(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 12) {
      const pid = buf.readInt32LE(0);
      const code = buf.readInt32LE(4);
      const signal = buf.readInt32LE(8);
      buf = buf.subarray(12);
      const done = this.exits.get(pid);
      if (!done) continue;
      this.exits.delete(pid);
      if (this.exits.size === 0) this.notify.unref();
      done(signal > 0 ? { code: null, signal: SIGNAL_NAMES.get(signal) ?? 'SIGKILL' } : { code: code >= 0 ? code : null, signal: null });
    }
    this.pending = Buffer.from(buf);
  }

  spawn(file: string, argv0: string, args: string[], env: Record<string, string | undefined>, cwd: string, join: string[], pathDirs: string[], pdeathsig: boolean): NativeChild {
    const envp: string[] = [];
    for (const k in env) {
      const v = env[k];
      if (v !== undefined) envp.push(`${k}=${v}`);
    }
    const [pid, out, err, startTime] = this.addon.spawn(file, [argv0, ...args], envp, cwd, join, pathDirs, pdeathsig);
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      this.exits.set(pid, resolve);
    });
    if (this.exits.size === 1) this.notify.ref();
    return { pid, startTime, exit, stdout: pipeStream(out), stderr: pipeStream(err) };
  }
}

function pipeStream(fd: number): Readable {
  const s = new net.Socket({ fd, readable: true, writable: false });
  s.on('error', () => undefined);
  return s;
}
