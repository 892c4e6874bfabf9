import type { Command } from 'commander';
import { parseAddress, sshHost, type DaemonAddress } from '../shared/address.js';
import { JobctlClient, type DialOptions } from '../api/client.js';
import { shellQuote } from '../api/ssh-stream.js';
import { describeHome, resolveHome, resolveHomeWithSource, type ResolvedHome } from '../config/home.js';
import { JobctlError } from '../shared/errors.js';
import { homePaths } from '../shared/paths.js';
import { reportError, type Io } from './output.js';

/** What every command gets: where to write, and how to find the home directory. */
export interface CliContext {
  io: Io;
  /** The resolved home, from `--home`, JOBCTL_HOME or the defaults. */
  home(): string;
  /** The home and how it was chosen (for messages). */
  resolvedHome(): ResolvedHome;
  /** Set by a finished action; read by runCli. */
  exitCode: number;
  /** `--host` or JOBCTL_HOST when it names another host (`ssh://…`); undefined for this host. */
  remote(): DaemonAddress | undefined;
  /** Connect to the daemon: `--host`'s, else this home's (DAEMON_UNREACHABLE says what to do). */
  connect(): Promise<JobctlClient>;
  /** Connect to any address; `local` means this home's socket (or the address's own home). */
  dial(address: DaemonAddress, opts?: DialOptions): Promise<JobctlClient>;
  /** Run the daemon in the foreground (provided by bin/, so cli/ never loads daemon code). */
  runDaemon?: (home: string) => Promise<number>;
  env: NodeJS.ProcessEnv;
}

export function makeContext(program: Command, io: Io, env: NodeJS.ProcessEnv, cwd: string, runDaemon?: (home: string) => Promise<number>): CliContext {
  const resolvedHome = () => resolveHomeWithSource(program.opts<{ home?: string }>().home, env, cwd);
  const home = () => resolvedHome().home;
  const remote = (): DaemonAddress | undefined => {
    const text = program.opts<{ host?: string }>().host ?? env.JOBCTL_HOST;
    if (!text) return undefined;
    const a = parseAddress(text);
    return a.kind === 'local' ? undefined : a;
  };
  const dial = (address: DaemonAddress, opts: DialOptions = {}) => JobctlClient.dial(address, {
    socketPath: homePaths(address.kind === 'local' && address.home ? resolveHome(address.home, env, cwd) : home()).socket,
    ...(env.JOBCTL_SSH_COMMAND ? { sshCommand: env.JOBCTL_SSH_COMMAND } : {}),
    ...(env.JOBCTL_REMOTE_COMMAND ? { remoteCommand: env.JOBCTL_REMOTE_COMMAND } : {}),
    ...opts,
  });
  return {
    io,
    home,
    resolvedHome,
    exitCode: 0,
    env,
    remote,
    dial,
    connect: () => {
      const r = remote();
      // A local daemon that is not running: say which home was looked at, and why that one.
      return r ? dial(r) : dial({ kind: 'local' }).catch((e: unknown) => {
        throw withHome(e, resolvedHome());
      });
    },
    ...(runDaemon ? { runDaemon } : {}),
  };
}

/**
 * Commands that work on this host's files or processes, not through the daemon's protocol;
 * with `--host` they say how to run them there instead.
 */
export const LOCAL_ONLY = new Set(['add', 'rm', 'validate', 'up', 'daemon', 'install', 'uninstall', 'completion', 'dial-stdio']);

/**
 * The command line to run a LOCAL_ONLY command on the far host, as pasted into a shell: the
 * port, user and home of the address kept (`ssh -p 2222 root@h 'jobctl --home /srv/jobs up'`).
 * `argv`: this command line; its --host and --home are dropped (the address says them).
 */
export function runThereCommand(remote: DaemonAddress, argv: readonly string[]): string {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--host' || a === '--home') i++;
    else if (!a.startsWith('--host=') && !a.startsWith('--home=')) rest.push(a);
  }
  if (remote.kind !== 'ssh') return `jobctl ${rest.map(shellQuote).join(' ')}`;
  const far = ['jobctl', ...(remote.home ? ['--home', remote.home] : []), ...rest].map(shellQuote).join(' ');
  return ['ssh', ...(remote.port ? ['-p', String(remote.port)] : []), `${remote.user ? `${remote.user}@` : ''}${sshHost(remote)}`, shellQuote(far)].join(' ');
}

/** Connect, run fn, close. */
export async function withDaemon<T>(ctx: CliContext, fn: (c: JobctlClient) => Promise<T>): Promise<T> {
  const client = await ctx.connect();
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** Wrap an action: its return value is the exit code; a thrown error prints one line. */
export function action<A extends unknown[]>(ctx: CliContext, fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    try {
      ctx.exitCode = (await fn(...args)) ?? 0;
    } catch (e) {
      ctx.exitCode = reportError(ctx.io, e);
    }
  };
}

/** "daemon not running" says which home it looked at and how that home was chosen. */
export function withHome(e: unknown, h: ResolvedHome): unknown {
  if (!(e instanceof JobctlError) || e.code !== 'DAEMON_UNREACHABLE') return e;
  const message = e.message.startsWith('daemon not running:')
    ? e.message.replace('daemon not running:', `daemon not running for home ${describeHome(h)}:`)
    : `${e.message} (home ${describeHome(h)})`;
  return new JobctlError(e.code, message, { cause: e });
}
