import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The daemon as PID 1 (a container, or `unshare --pid`): orphans are re-parented to PID 1,
 * which must reap them, and Node cannot `waitpid(-1)`. So PID 1 starts the daemon again
 * under `tini -s` (a subreaper: every orphan below it is re-parented to tini and reaped),
 * forwards signals to it and exits with its status. Without tini it refuses to start.
 */

/** Set in the daemon started under the init, so it does not do this again. */
export const UNDER_INIT_ENV = 'JOBCTL_UNDER_INIT';

export const PID1_REFUSAL =
  'jobctl daemon: refusing to run as PID 1 without an init to reap orphans (zombies would pile up): ' +
  'install tini (apt-get install tini; the daemon then starts itself under it), run the container with `docker run --init`, ' +
  'or use ENTRYPOINT ["tini", "--"] or ["dumb-init", "--"]';

/** tini on PATH (it must be able to act as a subreaper, which dumb-init cannot when it is not PID 1). */
export function findInit(envPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string | undefined {
  for (const dir of envPath.split(':').filter(Boolean)) {
    const p = path.join(dir, 'tini');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Whether this process must hand over to an init before running the daemon. */
export function needsInit(pid = process.pid, env: NodeJS.ProcessEnv = process.env): boolean {
  return pid === 1 && env[UNDER_INIT_ENV] !== '1';
}

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Run this same command (`node … jobctl daemon`) under `tini -s -g`; resolves with its exit
 * status. Signals to PID 1 go to tini, which passes them to the daemon.
 */
export function runUnderInit(init: string): Promise<number> {
  const child = spawn(init, ['-s', '-g', '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [UNDER_INIT_ENV]: '1' },
  });
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      child.kill(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return new Promise((resolve) => {
    child.once('error', (e) => {
      process.stderr.write(`jobctl daemon: could not start ${init}: ${e.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      for (const [sig, h] of handlers) process.off(sig, h);
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 15) : 1));
    });
  });
}
