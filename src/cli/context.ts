import type { Command } from 'commander';
import { JobctlClient } from '../api/client.js';
import { describeHome, resolveHomeWithSource, type ResolvedHome } from '../config/home.js';
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
  /** Connect to the home's daemon (DAEMON_UNREACHABLE with what to do when it is not running). */
  connect(): Promise<JobctlClient>;
  /** Run the daemon in the foreground (provided by bin/, so cli/ never loads daemon code). */
  runDaemon?: (home: string) => Promise<number>;
  env: NodeJS.ProcessEnv;
}

export function makeContext(program: Command, io: Io, env: NodeJS.ProcessEnv, cwd: string, runDaemon?: (home: string) => Promise<number>): CliContext {
  const resolvedHome = () => resolveHomeWithSource(program.opts<{ home?: string }>().home, env, cwd);
  const home = () => resolvedHome().home;
  return {
    io,
    home,
    resolvedHome,
    exitCode: 0,
    env,
    connect: () => JobctlClient.connect(homePaths(home()).socket).catch((e: unknown) => {
      throw withHome(e, resolvedHome());
    }),
    ...(runDaemon ? { runDaemon } : {}),
  };
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
