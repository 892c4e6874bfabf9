import type { Command } from 'commander';
import { formatDuration, formatInZone } from '../../shared/format.js';
import { isValidTaskName } from '../../shared/names.js';
import { action, type CliContext } from '../context.js';
import { CliError, EXIT, printJson, table } from '../output.js';
import { parseCount } from '../parse.js';

interface NextOptions {
  n: string;
  tz?: string;
  from?: string;
  json?: boolean;
}

export function registerNext(program: Command, ctx: CliContext): void {
  program
    .command('next')
    .argument('<task-or-expr>', "a cron task's name, or a quoted cron expression")
    .description('print the next fire times of a cron task or expression')
    .option('-n <N>', 'how many', '5')
    .option('--tz <zone>', 'IANA time zone to evaluate in (default: the task\'s, else the host\'s)')
    .option('--from <iso-time>', 'start after this time instead of now')
    .option('--json', 'print {expression, timezone, from, runs[]} as JSON')
    .addHelpText('after', "\nExamples:\n  jobctl next heartbeat\n  jobctl next '30 2 * * *' --tz Europe/Berlin --from 2026-03-28T12:00:00Z\n  jobctl next '*/10 * * * * *' -n 3")
    .action(action(ctx, async (arg: string, opts: NextOptions) => {
      const { isValidTimeZone, scheduleError } = await import('../../shared/cron.js');
      const { nextRuns } = await import('../../core/schedule.js');
      const n = parseCount(opts.n, '-n', 1000);
      const from = opts.from === undefined ? Date.now() : Date.parse(opts.from);
      if (Number.isNaN(from)) throw new CliError(`--from: "${opts.from}" is not a time; use ISO 8601, e.g. 2026-03-28T12:00:00Z`, EXIT.USAGE);
      if (opts.tz !== undefined && !isValidTimeZone(opts.tz)) {
        throw new CliError(`--tz: unknown zone "${opts.tz}"; use an IANA name such as Europe/Berlin or UTC`, EXIT.USAGE);
      }

      const { expression, timezone, task } = await resolveSchedule(arg, opts.tz, ctx);
      const err = scheduleError(expression, timezone);
      if (err) throw new CliError(`invalid expression "${expression}": ${err}`, EXIT.USAGE);
      const runs = nextRuns({ schedule: expression, ...(timezone ? { timezone } : {}) }, from, n);

      if (opts.json) {
        printJson(ctx.io, {
          ...(task ? { task } : {}),
          expression,
          timezone: timezone ?? hostZone(),
          from: new Date(from).toISOString(),
          runs: runs.map((t) => new Date(t).toISOString()),
        });
        return EXIT.OK;
      }
      const zone = timezone ?? hostZone();
      ctx.io.out(`${task ? `${task}: ` : ''}${expression}  (${zone})`);
      if (runs.length === 0) {
        ctx.io.out('no future runs');
        return EXIT.OK;
      }
      const rows = runs.map((t) => [formatInZone(new Date(t), zone), `in ${formatDuration(t - from)}`]);
      ctx.io.out(table(rows));
      return EXIT.OK;
    }));
}

function hostZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A task name reads the task's schedule from the home's task files; anything else is an expression. */
async function resolveSchedule(arg: string, tz: string | undefined, ctx: CliContext): Promise<{ expression: string; timezone?: string; task?: string }> {
  const looksLikeExpression = /\s/.test(arg.trim()) || arg.startsWith('@');
  if (looksLikeExpression || !isValidTaskName(arg)) return { expression: arg, ...(tz ? { timezone: tz } : {}) };
  const { loadTaskDir } = await import('../../config/load.js');
  const set = loadTaskDir(`${ctx.home()}/tasks`);
  const task = set.tasks.find((t) => t.name === arg);
  if (!task) {
    const invalid = set.errors.some((e) => e.task === arg);
    throw new CliError(invalid
      ? `task "${arg}" has errors; run \`jobctl validate\` to see them`
      : `no task named "${arg}" in ${set.dir}; for an expression, quote it: jobctl next '*/5 * * * *'`, EXIT.FAILURE);
  }
  if (task.kind !== 'cron') throw new CliError(`task "${arg}" is a service task (no schedule); \`next\` is for cron tasks`, EXIT.FAILURE);
  if (task.schedule === undefined) throw new CliError(`task "${arg}" has no schedule: it runs when its xxl-job admin triggers it (or \`jobctl run ${arg}\`)`, EXIT.FAILURE);
  const timezone = tz ?? task.timezone;
  return { expression: task.schedule, task: task.name, ...(timezone ? { timezone } : {}) };
}
