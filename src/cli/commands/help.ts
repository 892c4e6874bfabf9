import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { CliError, EXIT, painter, printJson, table } from '../output.js';

export function registerHelp(program: Command, ctx: CliContext): void {
  // Our own `help`, so that `jobctl help keys` exists beside `jobctl help COMMAND`.
  program.helpCommand(false);
  program
    .command('help')
    .argument('[topic]', 'a command, or "keys" for every task-file key with its default')
    .description('help for a command; `jobctl help keys` lists every task key with its default')
    .option('--json', 'keys: print {tasks[], notifiers[]} of {key, default, meaning}')
    .action(action(ctx, async (topic: string | undefined, opts: { json?: boolean }) => {
      if (topic === 'keys') {
        const { taskFileJsonSchema } = await import('../../config/json-schema.js');
        const { keyRows } = await import('../keys-table.js');
        const k = keyRows(taskFileJsonSchema());
        if (opts.json) {
          printJson(ctx.io, k);
          return EXIT.OK;
        }
        const paint = painter(ctx.io.color);
        const head = ['KEY', 'DEFAULT', 'MEANING'].map((h) => paint('bold', h));
        ctx.io.out([
          'Task keys (under tasks: NAME:, or in a file\'s defaults: except command and schedule).',
          'A task with schedule is a cron task; without, a service task. Durations: 500ms, 10s, 5m, 1h30m; sizes: 512KB, 100MB.',
          '',
          table([head, ...k.tasks.map((r) => [r.key, r.default, r.meaning])]),
          '',
          'Notifier keys (under notifiers: NAME:, in any task file):',
          '',
          table([head, ...k.notifiers.map((r) => [r.key, r.default, r.meaning])]),
        ].join('\n'));
        return EXIT.OK;
      }
      if (topic === undefined) {
        program.outputHelp();
        return EXIT.OK;
      }
      const cmd = program.commands.find((c) => c.name() === topic || c.aliases().includes(topic));
      if (!cmd) throw new CliError(`no help topic "${topic}": give a command name, or "keys"`, EXIT.USAGE);
      cmd.outputHelp();
      return EXIT.OK;
    }));
}
