import type { Command } from 'commander';
import { parseDuration } from '../../config/units.js';
import { action, type CliContext } from '../context.js';
import { followLog } from '../log-follow.js';
import { CliError, EXIT, printJson } from '../output.js';
import { parseCount } from '../parse.js';

interface LogsOptions {
  follow?: boolean;
  lines: string;
  run?: string;
  instance?: string;
  since?: string;
  json?: boolean;
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .argument('<task>', 'task name')
    .description("a task's log: a daemon task's instances merged by time, or a cron task's last run")
    .option('-f, --follow', 'keep printing new output (Ctrl-C to stop)')
    .option('-n, --lines <N>', 'lines to print first', '50')
    .option('--run <id|last>', 'a cron run (default: the last one); with -f, follow that run to its end')
    .option('--instance <I>', "one instance of a daemon task")
    .option('--since <duration>', 'only lines from the last 10m, 1h… (needs logs.timestamps)')
    .option('--json', 'print {lines, files} (not with -f)')
    .addHelpText('after', '\nExamples:\n  jobctl logs worker -f\n  jobctl logs worker --instance 1 -n 200\n  jobctl logs nightly-report --run last\n  jobctl logs api --since 10m')
    .action(action(ctx, async (task: string, opts: LogsOptions) => {
      const lines = opts.lines === '0' ? 0 : parseCount(opts.lines, '-n', 100_000);
      let instance: number | undefined;
      if (opts.instance !== undefined) {
        instance = Number(opts.instance);
        if (!Number.isInteger(instance) || instance < 0) throw new CliError(`--instance: expected 0, 1, 2…, got "${opts.instance}"`, EXIT.USAGE);
      }
      let since: number | undefined;
      if (opts.since !== undefined) {
        const ms = parseDuration(opts.since);
        if (ms === undefined) throw new CliError(`--since: "${opts.since}" is not a duration; use 30s, 10m, 2h`, EXIT.USAGE);
        since = Date.now() - ms;
      }
      if (opts.json && opts.follow) throw new CliError('--json and -f do not go together', EXIT.USAGE);
      const client = await ctx.connect();
      try {
        const r = await client.call('logs', {
          task, lines, ...(instance !== undefined ? { instance } : {}), ...(opts.run ? { run: opts.run } : {}),
          ...(since !== undefined ? { since } : {}), ...(opts.follow ? { follow: true } : {}),
        });
        if (opts.json) {
          printJson(ctx.io, { lines: r.lines, files: r.files });
          return EXIT.OK;
        }
        if (r.lines.length) ctx.io.out(r.lines.join('\n'));
        if (!opts.follow) return EXIT.OK;
        return await followLog(client, r.subscription!, ctx.io);
      } finally {
        client.close();
      }
    }));
}
