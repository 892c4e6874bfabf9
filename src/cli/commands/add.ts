import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isValidTaskName, NAME_HINT } from '../../shared/names.js';
import { action, type CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';
import { parseCount } from '../parse.js';
import { schemaRefFor } from '../schema-ref.js';

interface AddOptions {
  schedule?: string;
  instances?: string;
  file?: string;
  group?: string;
  cwd?: string;
  env: string[];
  timeout?: string;
  restart?: string;
  description?: string;
  timezone?: string;
  retries?: string;
  overlap?: string;
  stopTimeout?: string;
  disabled?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerAdd(program: Command, ctx: CliContext): void {
  program
    .command('add')
    .argument('<name>', 'task name (lowercase letters, digits, . _ -)')
    .argument('<command...>', 'after --: one argument runs through /bin/sh -c; several are exec\'d as a list')
    .description('add a task to a YAML file in tasks/ (comments and layout kept, validated before writing)')
    .option('--schedule <expr>', 'cron expression: makes a cron task')
    .option('--instances <N>', 'number of processes: makes a service task')
    .option('--file <path>', 'task file to add it to (default: tasks/<group>.yaml)')
    .option('--group <group>', 'group, i.e. the file tasks/<group>.yaml (default: the task name)')
    .option('--cwd <dir>', 'working directory')
    .option('--env <K=V>', 'environment variable (repeat for more)', collect, [])
    .option('--timeout <duration>', 'cron: stop a run after this long')
    .option('--restart <policy>', 'service: always | on-failure | never')
    .option('--description <text>', 'one line shown in status')
    .option('--timezone <zone>', 'cron: IANA time zone')
    .option('--retries <N>', 'cron: re-run a failed run up to N times')
    .option('--overlap <policy>', 'cron: skip | queue | replace | allow')
    .option('--stop-timeout <duration>', 'time after stop_signal before SIGKILL')
    .option('--disabled', 'add it with enabled: false')
    .addHelpText('after', [
      '',
      'Examples:',
      "  jobctl add backup --schedule '0 3 * * *' --timezone Europe/Berlin -- /usr/local/bin/backup.sh",
      "  jobctl add mailer --instances 4 --group queues -- php artisan queue:work --queue=mail",
      "  jobctl add tick --schedule '*/10 * * * * *' -- 'echo tick at $(date)'",
    ].join('\n'))
    .action(action(ctx, async (name: string, command: string[], opts: AddOptions) => {
      const { addTaskToText } = await import('../../config/edit.js');
      const { applyTaskFileEdit } = await import('../edit-task-file.js');
      if (!isValidTaskName(name)) throw new CliError(`invalid task name "${name}": ${NAME_HINT}`, EXIT.USAGE);
      if ((opts.schedule === undefined) === (opts.instances === undefined)) {
        throw new CliError('give --schedule EXPR (a cron task) or --instances N (a service task)', EXIT.USAGE);
      }
      const task: Record<string, unknown> = {};
      if (opts.description) task.description = opts.description;
      if (opts.schedule !== undefined) task.schedule = opts.schedule;
      if (opts.timezone) task.timezone = opts.timezone;
      if (opts.instances !== undefined) task.instances = parseCount(opts.instances, '--instances', 1000);
      task.command = command.length === 1 ? command[0] : command;
      if (opts.cwd) task.cwd = opts.cwd;
      if (opts.env.length) {
        const env: Record<string, string> = {};
        for (const kv of opts.env) {
          const eq = kv.indexOf('=');
          if (eq <= 0) throw new CliError(`--env: expected KEY=VALUE, got "${kv}"`, EXIT.USAGE);
          env[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
        task.env = env;
      }
      if (opts.timeout) task.timeout = opts.timeout;
      if (opts.retries !== undefined) task.retries = parseCount(opts.retries, '--retries', 100);
      if (opts.overlap) task.overlap = opts.overlap;
      if (opts.restart) task.restart = opts.restart;
      if (opts.stopTimeout) task.stop_timeout = opts.stopTimeout;
      if (opts.disabled) task.enabled = false;

      const tasksDir = path.join(ctx.home(), 'tasks');
      const file = opts.file ? path.resolve(opts.file) : path.join(tasksDir, `${opts.group ?? name}.yaml`);
      const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
      let after: string;
      try {
        after = addTaskToText(before, name, task, schemaRefFor(path.dirname(file)));
      } catch (e) {
        throw new CliError(`${file}: ${(e as Error).message}`);
      }
      // A home without tasks/ gets one (the task's default cwd is the file's directory: it must exist to validate).
      fs.mkdirSync(path.dirname(file), { recursive: true });
      applyTaskFileEdit(ctx.io, tasksDir, file, before, after, `add task ${name}`);
      return EXIT.OK;
    }));
}
