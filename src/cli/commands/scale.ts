import type { Command } from 'commander';
import { action, withDaemon, type CliContext } from '../context.js';
import { CliError, EXIT, printJson } from '../output.js';
import { describeState } from './control.js';

export function registerScale(program: Command, ctx: CliContext): void {
  program
    .command('scale')
    .argument('<task>', 'a daemon task')
    .argument('<count>', 'number of instances, or "auto" to go back to the config (and its scale: rule)')
    .description('set how many instances a daemon task runs, until its config changes or `scale TASK auto`')
    .option('--json', 'print {task}')
    .action(action(ctx, async (task: string, countArg: string, opts: { json?: boolean }) => {
      const count = countArg === 'auto' ? 'auto' as const : Number(countArg);
      if (count !== 'auto' && (!Number.isInteger(count) || count < 0 || count > 1000)) {
        throw new CliError(`count: expected 0..1000 or "auto", got "${countArg}"`, EXIT.USAGE);
      }
      const r = await withDaemon(ctx, (c) => c.call('scale', { task, count }));
      if (opts.json) printJson(ctx.io, r);
      else ctx.io.out(describeState(r.task, ctx.io.color));
      return EXIT.OK;
    }));
}

export function registerNotify(program: Command, ctx: CliContext): void {
  const notify = program.command('notify').description('chat notifications');
  notify
    .command('test')
    .argument('<notifier>', 'a name under notifiers: in a task file')
    .description('send a test message through a notifier')
    .action(action(ctx, async (notifier: string) => {
      const r = await withDaemon(ctx, (c) => c.call('notify-test', { notifier }));
      ctx.io.out(`sent a test message through "${notifier}" (HTTP ${r.status})`);
      return EXIT.OK;
    }));
}
