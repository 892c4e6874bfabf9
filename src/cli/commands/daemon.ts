import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { CliError } from '../output.js';

export function registerDaemon(program: Command, ctx: CliContext): void {
  program
    .command('daemon')
    .description('run the supervisor in the foreground (for systemd and containers; Ctrl-C stops it)')
    .addHelpText('after', '\nSIGTERM/SIGINT stop every task gracefully, then exit 0. SIGHUP re-reads tasks/.\nLogs go to stderr. `jobctl up` runs it in the background instead.')
    .action(action(ctx, async () => {
      if (!ctx.runDaemon) throw new CliError('this build cannot run the daemon');
      return ctx.runDaemon(ctx.home());
    }));
}
