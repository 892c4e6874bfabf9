import type { Command } from 'commander';
import type { TaskStatus } from '../../shared/protocol.js';
import { action, withDaemon, type CliContext } from '../context.js';
import { CliError, EXIT, painter, printJson } from '../output.js';
import { STATE_STYLE } from '../render/status.js';

type Verb = 'start' | 'stop' | 'restart';

const DESCRIPTIONS: Record<Verb, string> = {
  start: 'start a daemon task, or schedule a cron task again; waits until it is running',
  stop: 'stop a task (stop_signal, then SIGKILL after stop_timeout); waits until it is down',
  restart: 'stop then start; waits until it is running again',
};

function targetOf(arg: string | undefined, all: boolean | undefined, verb: Verb): string {
  if (all && arg) throw new CliError(`give a TARGET or --all, not both`, EXIT.USAGE);
  if (all) return '*';
  if (!arg) throw new CliError(`${verb} needs a TARGET (task name or @group) or --all`, EXIT.USAGE);
  return arg;
}

export function describeState(t: TaskStatus, color: boolean): string {
  const paint = painter(color);
  const state = paint(STATE_STYLE[t.state] ?? 'bold', t.state);
  const count = t.kind === 'daemon' ? ` (${t.running ?? 0}/${t.instances?.length ?? 0} running)` : '';
  const why = t.instances?.find((i) => i.message && (i.state === 'backoff' || i.state === 'fatal' || i.state === 'exited'))?.message;
  return `${t.name}: ${state}${count}${why ? ` — ${why}` : ''}`;
}

/** Running, or done: an instance that exited cleanly under restart never/on-failure did its job. */
function startedWell(t: TaskStatus): boolean {
  if (t.state === 'fatal' || t.state === 'backoff') return false;
  return (t.instances ?? []).every((i) => i.state !== 'exited' || (i.lastExit?.code === 0 && !i.lastExit.signal));
}

export function registerControl(program: Command, ctx: CliContext): void {
  for (const verb of ['start', 'stop', 'restart'] as const) {
    program
      .command(verb)
      .argument('[target]', 'task name or @group')
      .description(DESCRIPTIONS[verb])
      .option('--all', 'every task')
      .option('--json', 'print {tasks[]} after the change')
      .addHelpText('after', `\nExamples:\n  jobctl ${verb} worker\n  jobctl ${verb} @billing\n  jobctl ${verb} --all`)
      .action(action(ctx, async (arg: string | undefined, opts: { all?: boolean; json?: boolean }) => {
        const target = targetOf(arg, opts.all, verb);
        const r = await withDaemon(ctx, (c) => (verb === 'stop' ? c.call('stop', { target }) : c.call(verb, { target, wait: true })));
        if (opts.json) printJson(ctx.io, r);
        else for (const t of r.tasks) ctx.io.out(describeState(t, ctx.io.color));
        const failed = verb !== 'stop' && r.tasks.some((t) => t.enabled && !startedWell(t));
        return failed ? EXIT.FAILURE : EXIT.OK;
      }));
  }
}
