import fs from 'node:fs';
import type { Command } from 'commander';
import { homePaths } from '../../shared/paths.js';
import { action, withDaemon, type CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';

export function registerDown(program: Command, ctx: CliContext): void {
  program
    .command('down')
    .description('stop every task gracefully, then the daemon')
    .option('--now', 'SIGKILL every process group at once instead of stop_signal + stop_timeout')
    .option('--timeout <seconds>', 'how long to wait for the daemon to exit', '120')
    .action(action(ctx, async (opts: { now?: boolean; timeout: string }) => {
      const paths = homePaths(ctx.home());
      const pid = await withDaemon(ctx, async (c) => {
        const h = await c.call('hello', { client: 'jobctl down' });
        await c.call('shutdown', { now: Boolean(opts.now) });
        return h.pid;
      });
      const deadline = Date.now() + Number(opts.timeout) * 1000;
      const remote = ctx.remote();
      while (Date.now() < deadline) {
        // Another host's daemon is down when its socket no longer answers through ssh.
        if (remote ? !(await answers(ctx)) : !alive(pid) && !fs.existsSync(paths.socket)) {
          ctx.io.out(`jobctl daemon stopped (pid ${pid})`);
          return EXIT.OK;
        }
        await new Promise((r) => setTimeout(r, remote ? 500 : 50));
      }
      throw new CliError(`the daemon (pid ${pid}) is still stopping after ${opts.timeout}s; tasks with a long stop_timeout take that long. Use \`jobctl down --now\` to kill them`);
    }));
}

async function answers(ctx: CliContext): Promise<boolean> {
  try {
    (await ctx.connect()).close();
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  // A zombie daemon (exited, parent not reaping) counts as gone.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    /* no /proc: fall back to kill(0) */
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
