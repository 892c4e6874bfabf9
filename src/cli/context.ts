import type { Command } from 'commander';
import { resolveHome } from '../config/home.js';
import { reportError, type Io } from './output.js';

/** What every command gets: where to write, and how to find the home directory. */
export interface CliContext {
  io: Io;
  /** The resolved home, from `--home`, JOBCTL_HOME or the defaults. */
  home(): string;
  /** Set by a finished action; read by runCli. */
  exitCode: number;
}

export function makeContext(program: Command, io: Io, env: NodeJS.ProcessEnv, cwd: string): CliContext {
  return {
    io,
    home: () => resolveHome(program.opts<{ home?: string }>().home, env, cwd),
    exitCode: 0,
  };
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
