import fs from 'node:fs';
import type { Command } from 'commander';
import { JobctlClient } from '../../api/client.js';
import { readPidRecord, sameNamespace } from '../../api/pid-file.js';
import { describeHome } from '../../config/home.js';
import { homePaths } from '../../shared/paths.js';
import { action, type CliContext } from '../context.js';
import { DAEMON_NODE_FLAGS } from '../install/units.js';
import { CliError, EXIT } from '../output.js';

/** Start the daemon in the background; return once its socket answers. */
export function registerUp(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('start the daemon in the background; returns once it answers')
    .option('--timeout <seconds>', 'how long to wait for it', '15')
    .addHelpText('after', '\nIts log goes to <home>/state/daemon.log.')
    .action(action(ctx, async (opts: { timeout: string }) => {
      const home = ctx.home();
      const paths = homePaths(home);
      const running = await hello(paths.socket);
      if (running) {
        ctx.io.out(`jobctl daemon already running (pid ${running.pid}, home ${home})`);
        return EXIT.OK;
      }
      if (!fs.existsSync(paths.tasks)) {
        throw new CliError(`no tasks/ directory in home ${describeHome(ctx.resolvedHome())}: create one with \`jobctl init${ctx.resolvedHome().source === '~/.jobctl' ? ' ~/.jobctl' : ''}\`, or pass --home`, EXIT.FAILURE);
      }
      fs.mkdirSync(paths.state, { recursive: true, mode: 0o700 });
      const logFd = fs.openSync(paths.daemonLog, 'a', 0o600);
      const logStart = fs.fstatSync(logFd).size;
      // A small young generation: an idle supervisor does not need V8's 16 MB default (bench/RESULTS.md).
      const { spawn } = await import('node:child_process'); // on use: every command loads this module
      const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, process.argv[1]!, '--home', home, 'daemon'], {
        detached: true, stdio: ['ignore', logFd, logFd], env: ctx.env,
      });
      fs.closeSync(logFd);
      let exited: number | null | undefined;
      child.once('exit', (code) => (exited = code));
      child.unref();
      const deadline = Date.now() + Number(opts.timeout) * 1000;
      while (Date.now() < deadline) {
        const h = await hello(paths.socket);
        if (h && h.pid === child.pid) {
          ctx.io.out(`jobctl daemon started (pid ${h.pid}, home ${home}); \`jobctl status\` shows the tasks`);
          return EXIT.OK;
        }
        if (exited !== undefined) {
          // Another `up` (or `jobctl daemon`) took the home's lock first and ours stepped aside:
          // that daemon is the answer, once its socket answers.
          if (h) {
            ctx.io.out(`jobctl daemon already running (pid ${h.pid}, home ${home})`);
            return EXIT.OK;
          }
          if (!otherDaemonStarting(paths.pidFile, child.pid)) break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const tail = readFrom(paths.daemonLog, logStart).trim().split('\n').slice(-5).join('\n');
      throw new CliError(`the daemon did not start${exited !== undefined ? ` (exit code ${exited})` : ''}; its log (${paths.daemonLog}) says:\n${tail || '(nothing)'}`);
    }));
}

async function hello(socket: string): Promise<{ pid: number } | undefined> {
  try {
    const c = await JobctlClient.connect(socket, { connectTimeoutMs: 1000 });
    try {
      return await c.call('hello', { client: 'jobctl up' }, 2000);
    } finally {
      c.close();
    }
  } catch {
    return undefined;
  }
}

/** Whether the pid file names a live process other than ours: a daemon that won the lock and is starting. */
function otherDaemonStarting(pidFile: string, ours: number | undefined): boolean {
  const r = readPidRecord(pidFile);
  if (!r || r.pid === ours || !sameNamespace(r)) return false;
  try {
    process.kill(r.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readFrom(file: string, offset: number): string {
  try {
    const buf = fs.readFileSync(file);
    return buf.subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}
