import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { spawn as spawnChild } from 'node:child_process';
import { JobctlError } from '../../shared/errors.js';
import type { RunAs } from '../../shared/types.js';
import { readStat } from '../proc.js';
import { lookupGroup, lookupUser } from '../../config/users.js';
import { nativeSpawner, nativeSpawnerReason, type NativeSpawnError, type NativeSpawner } from './native-spawner.js';
import { PacedTurns } from './paced-turns.js';
import { parseDotenv } from './dotenv-parse.js';
import { NotRegularFileError, readRegularFile } from '../regular-file.js';

/**
 * The start stage of a process's life (DESIGN.md "Processes", "The hot path"): its own
 * session and process group, the daemon's environment plus the task's, `setpriv --pdeathsig
 * TERM` on Linux so it dies with the daemon, and run-as-user through setpriv when the daemon
 * is root. Everything that can be checked before the start is checked, so a bad cwd or a
 * missing binary is a clear message. The one place that chooses the spawner: vfork + exec
 * through the native addon where it is built (no fork of the daemon), `child_process`
 * otherwise or with `JOBCTL_SPAWNER=child_process`.
 */

export interface SpawnRequest {
  command: string | string[];
  cwd: string;
  /** Variables added to the daemon's environment (task env, JOBCTL_*). */
  env: Record<string, string>;
  /** dotenv file read now, merged under `env`. */
  envFile?: string;
  runAs?: RunAs;
  /** Appended arguments: after a list command's argv; `$1`… of a string command (`$0` is `jobctl`). */
  args?: string[];
  /**
   * cgroup.procs files the process joins before it execs the command (its box's cgroups),
   * so not even its first fork happens outside them.
   */
  joinCgroups?: string[];
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface SpawnedProcess {
  pid: number;
  /** The process group: equal to pid (the child leads its own group). */
  pgid: number;
  /** /proc start time in clock ticks, to recognise this process later. */
  startTime?: number;
  stdout: Readable;
  stderr: Readable;
  /** Resolves when the main process has exited (its pipes may still be held open by grandchildren). */
  exit: Promise<ExitStatus>;
}

let setprivPath: string | null | undefined;
/** Where setpriv is, or null when this host has none (not Linux, or util-linux missing). */
export function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform === 'linux') {
    for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/bin'])) {
      const p = path.join(dir, 'setpriv');
      if (isExecutable(p)) {
        setprivPath = p;
        break;
      }
    }
  }
  return setprivPath;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Resolve a binary the way execvp would, for a clear error before spawning. */
export function resolveBinary(bin: string, cwd: string, envPath: string | undefined): string | undefined {
  if (bin.includes('/')) {
    const p = path.resolve(cwd, bin);
    return isExecutable(p) ? p : undefined;
  }
  for (const dir of (envPath ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, bin);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

const fail = (message: string, cause?: unknown) => new JobctlError('SPAWN_FAILED', message, cause === undefined ? {} : { cause });

/**
 * The argv to exec: `/bin/sh -c` for a string, the list as is. For child_process it is
 * wrapped in setpriv (pdeathsig, run-as-user) and in the join shell (cgroups); the native
 * spawner's child does both itself, so it needs setpriv only to run as another user.
 */
export function buildArgv(req: SpawnRequest, env: NodeJS.ProcessEnv, spawner: 'native' | 'child_process' = 'child_process'): { file: string; args: string[]; env: Record<string, string> } {
  const args = req.args ?? [];
  const argv = typeof req.command === 'string'
    ? ['/bin/sh', '-c', req.command, ...(args.length ? ['jobctl', ...args] : [])]
    : [...req.command, ...args];
  const extraEnv: Record<string, string> = {};
  const setpriv = findSetpriv();
  const wrap: string[] = [];
  if (req.runAs) {
    if (process.getuid?.() !== 0) {
      throw new JobctlError('PERMISSION_DENIED',
        `running as ${req.runAs.user ? `user "${req.runAs.user}"` : `group "${req.runAs.group}"`} needs a root daemon (this one runs as uid ${process.getuid?.()}); remove user/group or run the daemon as root`);
    }
    if (!setpriv) throw fail('user/group need setpriv (util-linux): install it, e.g. apt-get install util-linux');
    if (req.runAs.user) {
      const user = lookupUser(req.runAs.user);
      if (!user) throw fail(`unknown user "${req.runAs.user}" (not in /etc/passwd)`);
      const gid = req.runAs.group ? lookupGroup(req.runAs.group) : user.gid;
      if (gid === undefined) throw fail(`unknown group "${req.runAs.group}" (not in /etc/group)`);
      wrap.push(`--reuid=${user.uid}`, `--regid=${gid}`, '--init-groups');
      Object.assign(extraEnv, { HOME: user.home, USER: user.name, LOGNAME: user.name });
    } else if (req.runAs.group) {
      const gid = lookupGroup(req.runAs.group);
      if (gid === undefined) throw fail(`unknown group "${req.runAs.group}" (not in /etc/group)`);
      wrap.push(`--regid=${gid}`, '--clear-groups');
    }
  }
  const fullEnv = { ...extraEnv, ...req.env };
  const first = argv[0]!;
  // (The native child reports a missing binary from its exec, without a look-up here first.)
  if (spawner === 'child_process' && typeof req.command !== 'string' && !resolveBinary(first, req.cwd, fullEnv.PATH ?? env.PATH)) {
    throw fail(`command not found or not executable: ${first}`);
  }
  // setpriv sets pdeathsig after it changes the user (a change of credentials clears it).
  const withSetpriv = setpriv && (spawner === 'child_process' || wrap.length > 0);
  const exec = withSetpriv ? [setpriv, '--pdeathsig', 'TERM', ...wrap, '--', ...argv] : argv;
  if (spawner === 'child_process' && req.joinCgroups?.length) {
    // As root, before setpriv drops privileges: `echo 0 > cgroup.procs` moves the shell itself,
    // then it execs (same pid) into setpriv and the command.
    return { file: '/bin/sh', args: ['-c', JOIN_SCRIPT, 'jobctl-join', ...req.joinCgroups, '--', ...exec], env: fullEnv };
  }
  return { file: exec[0]!, args: exec.slice(1), env: fullEnv };
}

/** Joins each cgroup.procs file given before `--`, then execs the rest; 125 when a cgroup refuses. */
export const JOIN_SCRIPT =
  'while [ "$1" != -- ]; do echo 0 >"$1" || { echo "jobctl: cannot join the cgroup $1" >&2; exit 125; }; shift; done; shift; exec "$@"';

/** An env file is a few KB; anything over this is not one (a log or a disk image named by mistake). */
const MAX_ENV_FILE = 1024 * 1024;

/** Read and merge the env file under the request's env (never blocking on a FIFO put at its path). */
function withEnvFile(req: SpawnRequest): Record<string, string> {
  if (!req.envFile) return req.env;
  let text: string;
  try {
    text = readRegularFile(req.envFile, { max: MAX_ENV_FILE });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message;
    throw fail(`env_file ${req.envFile}: ${why}${e instanceof NotRegularFileError ? '; point env_file at a dotenv file' : ''}`, e);
  }
  return { ...parseDotenv(text), ...req.env };
}

/**
 * Start the process. The spawner is chosen now (JOBCTL_SPAWNER read in this call); the
 * native one hands the start to a spawner thread and resolves once it has a pid, so the
 * event loop does not wait for the child. Rejects with a JobctlError (SPAWN_FAILED,
 * PERMISSION_DENIED) for anything found wrong before or during the start. Read the output
 * as soon as it resolves (in the same turn of the loop): Node drains the unread pipes of a
 * child_process child that has exited, and child_process starts are paced over turns.
 */
export function spawnProcess(req: SpawnRequest): Promise<SpawnedProcess> {
  const native = useNative() ? nativeSpawner() : undefined;
  try {
    return native ? spawnNative(native, req) : childProcessStarts.run(() => spawnChildProcess(req));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** child_process starts hold the loop while libuv forks: paced, so a burst leaves turns to the socket. */
const childProcessStarts = new PacedTurns();

/** The native spawner: one exec, the cwd and binary checked by the child itself (no look-ups on the loop). */
function spawnNative(native: NativeSpawner, req: SpawnRequest): Promise<SpawnedProcess> {
  const { file, args, env } = buildArgv({ ...req, env: withEnvFile(req) }, process.env, 'native');
  const fullEnv = { ...process.env, ...env };
  // C strings end at a NUL: refuse one, as child_process does, rather than run a cut argument.
  const badArg = [file, ...args, req.cwd].find((a) => a.includes('\0'));
  const badVar = Object.entries(env).find(([k, v]) => `${k}${v}`.includes('\0'))?.[0];
  if (badArg !== undefined) throw fail(`the argument ${JSON.stringify(badArg.slice(0, 40))} holds a NUL byte, which no process can receive`);
  if (badVar !== undefined) throw fail(`the variable ${JSON.stringify(badVar.slice(0, 40))} holds a NUL byte, which no process can receive`);
  const started = native.spawn(file, file, args, fullEnv, req.cwd, req.joinCgroups ?? [], (fullEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':'), process.platform === 'linux');
  return started.then(
    (c): SpawnedProcess => ({ pid: c.pid, pgid: c.pid, ...(c.startTime >= 0 ? { startTime: c.startTime } : {}), stdout: c.stdout, stderr: c.stderr, exit: c.exit }),
    (e: unknown) => {
      const err = e as NativeSpawnError;
      if (err.stage === 'chdir') throw fail(`cwd ${req.cwd} does not exist or is not a directory`, e);
      if (err.stage === 'exec' && (err.errno === 2 || err.errno === 13 || err.errno === 20)) throw fail(`command not found or not executable: ${file}`, e);
      if (err.stage === 'join') throw fail(`cannot join the cgroup ${req.joinCgroups?.[err.index] ?? ''}: ${err.message}`, e);
      throw fail(`could not start ${file}: ${err.message}`, e);
    },
  );
}

function spawnChildProcess(req: SpawnRequest): SpawnedProcess {
  let cwdStat: fs.Stats | undefined;
  try {
    cwdStat = fs.statSync(req.cwd);
  } catch {
    /* reported below */
  }
  if (!cwdStat?.isDirectory()) throw fail(`cwd ${req.cwd} does not exist or is not a directory`);
  const { file, args, env } = buildArgv({ ...req, env: withEnvFile(req) }, process.env);
  // node:child_process rather than execa: a start blocks the event loop less with it
  // (bench/spawn-cost.ts). execa serves `jobctl install` and the CLI.
  const child = spawnChild(file, args, {
    cwd: req.cwd,
    env: { ...process.env, ...env },
    detached: true, // own session and process group: stop/kill act on the group
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  child.on('error', () => {
    /* surfaced through the exit status or the missing pid */
  });
  if (child.pid === undefined) throw fail(`could not start ${file} (the system refused to create the process)`);
  const pid = child.pid;
  const exit = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const startTime = readStat(pid)?.startTime;
  return { pid, pgid: pid, ...(startTime !== undefined ? { startTime } : {}), stdout: child.stdout!, stderr: child.stderr!, exit };
}

/** `JOBCTL_SPAWNER=child_process` forces the fallback (tests run the containment cases on both). */
function useNative(): boolean {
  return process.env.JOBCTL_SPAWNER !== 'child_process';
}

/** Which spawner starts processes here, in words (status, daemon log). */
export function spawnerInfo(): { spawner: 'native' | 'child_process'; description: string } {
  if (useNative() && nativeSpawner()) return { spawner: 'native', description: 'vfork (native addon: the daemon is not forked)' };
  const why = useNative() ? nativeSpawnerReason : 'JOBCTL_SPAWNER=child_process';
  return { spawner: 'child_process', description: `child_process (the native spawner is ${why ? `off: ${why}` : 'off'})` };
}
