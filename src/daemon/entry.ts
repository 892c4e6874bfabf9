import { errorMessage } from '../shared/errors.js';
import { homePaths } from '../shared/paths.js';
import { startDaemon, type DaemonHandle } from './main.js';
import { findInit, needsInit, PID1_REFUSAL, runUnderInit, UNDER_INIT_ENV } from './pid1.js';
import { DaemonOutput, absorbErrors, uncaughtReporter } from './stdio.js';

/**
 * `jobctl daemon`: run in the foreground (systemd, containers, `jobctl up`).
 * SIGTERM/SIGINT stop every task gracefully and exit 0; SIGHUP reloads tasks/.
 */
export async function runForeground(home: string): Promise<number> {
  if (needsInit()) {
    const init = findInit();
    if (!init) {
      process.stderr.write(`${PID1_REFUSAL}\n`);
      return 1;
    }
    return runUnderInit(init);
  }
  // Read once: the tasks must not inherit it (a task that runs a daemon as PID 1 of its own
  // namespace would skip the init and never reap).
  delete process.env[UNDER_INIT_ENV];
  // Never depend on stdio: stderr failing moves the log to state/daemon.log (daemon/stdio.ts).
  const out = new DaemonOutput(process.stderr, homePaths(home).daemonLog);
  absorbErrors(process.stdout);
  const report = uncaughtReporter(out);
  // Signals are handled from the first moment: one that comes during start-up acts once it is done.
  let handle: DaemonHandle | undefined;
  let pending: 'stop' | undefined;
  let signals = 0;
  const stop = (sig: string) => {
    signals++;
    if (signals > 1) out.write(`jobctl daemon: ${sig} again while stopping; still waiting for tasks (stop_timeout applies)\n`);
    if (handle) void handle.close(false);
    else pending = 'stop';
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void handle?.reload());
  process.on('uncaughtException', (e) => report('uncaught', e));
  process.on('unhandledRejection', (e) => report('unhandled rejection', e));
  try {
    // JOBCTL_NO_WATCH=1: apply task files only on `jobctl reload` or SIGHUP, not on save.
    handle = await startDaemon({ home, watch: !process.env.JOBCTL_NO_WATCH, logStream: out });
  } catch (e) {
    out.write(`jobctl daemon: ${errorMessage(e)}\n`);
    return 1;
  }
  if (pending) void handle.close(false);
  await handle.closed;
  return 0;
}
