#!/usr/bin/env node
/**
 * The `jobctl` executable: the CLI, plus `jobctl daemon`, which is the only command that
 * loads daemon code (the CLI itself talks to the daemon through api/client).
 */
import { resolveHome } from '../config/home.js';
import { loadCliProgram, loadDaemonEntry } from './bundles.js';
import { enableCompileCache } from './compile-cache.js';
import { plainDaemonCall } from './daemon-call.js';

/**
 * The daemon ends with process.exit, not by letting its loop drain: a drained loop closes the
 * signal handlers before the process is gone, and a SIGTERM or SIGHUP in those last milliseconds
 * (a second `systemctl stop`, a reload) killed it, so it exited by that signal instead of with 0.
 * Its output is written synchronously (daemon/stdio.ts), so nothing is lost.
 */
async function runDaemon(home: string): Promise<never> {
  process.exit(await (await loadDaemonEntry()).runForeground(home));
}

const daemonCall = plainDaemonCall(process.argv.slice(2));
if (daemonCall) {
  // The daemon never depends on its stdio (daemon/stdio.ts); nothing of the CLI is loaded.
  await runDaemon(resolveHome(daemonCall.home));
} else {
  enableCompileCache(); // Node ≥ 22.1: the next command starts without compiling the modules again
  // A reader that closes early (`jobctl logs T | head -c 100`, `jobctl status | head -1`)
  // ends the output quietly, as `cat` does, instead of with a stack trace.
  const onStdoutError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  };
  process.stdout.on('error', onStdoutError);
  const { runCli } = await loadCliProgram();
  process.exitCode = await runCli(process.argv.slice(2), {
    runDaemon: async (home) => {
      process.stdout.off('error', onStdoutError);
      return runDaemon(home);
    },
  });
}
