import type { Command } from 'commander';
import type { TaskStatus } from '../../shared/protocol.js';
import { action, withDaemon, type CliContext } from '../context.js';
import { CliError, EXIT, painter, printJson } from '../output.js';
import { paintState, rollingText } from '../render/status.js';
import { parseDuration } from '../../config/units.js';

type Verb = 'start' | 'stop' | 'restart';

const DESCRIPTIONS: Record<Verb, string> = {
  start: 'start a service task, or schedule a cron task again; waits until it is running',
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
  const state = paintState(paint, t.state);
  const count = t.instances ? ` (${t.running ?? 0}/${t.instances.length} running)` : '';
  const why = t.instances?.find((i) => i.message && (i.state === 'backoff' || i.state === 'fatal' || i.state === 'exited'))?.message;
  const rolling = t.rolling && t.rolling.state !== 'done' ? ` — rolling restart: ${rollingText(t.rolling)}` : '';
  return `${t.name}: ${state}${count}${why ? ` — ${why}` : ''}${t.waiting ? ` — ${t.waiting}` : ''}${rolling}`;
}

/** `restart --rolling`: the roll runs in the daemon; follow it in status until every task's roll ends. */
async function followRolling(ctx: CliContext, started: TaskStatus[], json: boolean): Promise<TaskStatus[]> {
  const names = started.map((t) => t.name);
  // Each roll is known by its start time, as the daemon's reply gave it.
  const rollOf = new Map(started.map((t) => [t.name, t.rolling?.startedAt]));
  let last = '';
  for (;;) {
    const s = await withDaemon(ctx, (c) => c.call('status', {}));
    const tasks = s.tasks.filter((t) => names.includes(t.name));
    // The tasks with instances roll; the others (cron) restarted at once.
    const rolls = tasks.filter((t) => t.instances !== undefined);
    const line = rolls.map((t) => `${t.name}: ${t.rolling ? rollingText(t.rolling) : 'starting the rolling restart'}`).join('; ');
    if (!json && line !== last) ctx.io.out(line);
    last = line;
    if (rolls.every((t) => t.rolling && t.rolling.startedAt === rollOf.get(t.name) && t.rolling.state !== 'running')) return tasks;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Running, or done: an instance that exited cleanly under restart never/on-failure did its job. */
function startedWell(t: TaskStatus): boolean {
  if (t.state === 'fatal' || t.state === 'backoff') return false;
  return (t.instances ?? []).every((i) => i.state !== 'exited' || (i.lastExit?.code === 0 && !i.lastExit.signal));
}

export function registerControl(program: Command, ctx: CliContext): void {
  for (const verb of ['start', 'stop', 'restart'] as const) {
    const cmd = program
      .command(verb)
      .argument('[target]', 'task name or @group')
      .description(DESCRIPTIONS[verb])
      .option('--all', 'every task')
      .option('--json', 'print {tasks[]} after the change');
    if (verb === 'restart') {
      cmd
        .option('--rolling', 'one instance at a time, each waiting until its replacement runs (or is healthy, with health:)')
        .option('--step-timeout <duration>', 'with --rolling: how long one instance may take (default 2m)');
    }
    cmd
      .addHelpText('after', `\nExamples:\n  jobctl ${verb} worker\n  jobctl ${verb} @billing\n  jobctl ${verb} --all${verb === 'restart' ? '\n  jobctl restart --rolling worker' : ''}`)
      .action(action(ctx, async (arg: string | undefined, opts: { all?: boolean; json?: boolean; rolling?: boolean; stepTimeout?: string }) => {
        const target = targetOf(arg, opts.all, verb);
        if (opts.stepTimeout !== undefined && !opts.rolling) throw new CliError('--step-timeout goes with --rolling', EXIT.USAGE);
        if (opts.rolling) {
          const stepTimeout = opts.stepTimeout === undefined ? undefined : parseDuration(opts.stepTimeout);
          if (stepTimeout === undefined && opts.stepTimeout !== undefined) throw new CliError(`--step-timeout: invalid duration "${opts.stepTimeout}": use 30s, 2m or a number of seconds`, EXIT.USAGE);
          const r = await withDaemon(ctx, (c) => c.call('restart', { target, rolling: true, ...(stepTimeout !== undefined ? { stepTimeout } : {}) }));
          const tasks = await followRolling(ctx, r.tasks, Boolean(opts.json));
          if (opts.json) printJson(ctx.io, { tasks, ...(r.outOfScope ? { outOfScope: r.outOfScope } : {}) });
          else for (const t of tasks) ctx.io.out(describeState(t, ctx.io.color));
          if (!opts.json && r.outOfScope) ctx.io.out(`(${r.outOfScope} task(s) of ${target === '*' ? '--all' : target} left alone: outside your rights)`);
          return tasks.some((t) => t.rolling?.state === 'failed') ? EXIT.FAILURE : EXIT.OK;
        }
        const r = await withDaemon(ctx, (c) => (verb === 'stop' ? c.call('stop', { target }) : c.call(verb, { target, wait: true })));
        if (opts.json) printJson(ctx.io, r);
        else for (const t of r.tasks) ctx.io.out(describeState(t, ctx.io.color));
        if (!opts.json && r.outOfScope) ctx.io.out(`(${r.outOfScope} task(s) of ${target === '*' ? '--all' : target} left alone: outside your rights)`);
        const failed = verb !== 'stop' && r.tasks.some((t) => t.enabled && !startedWell(t));
        return failed ? EXIT.FAILURE : EXIT.OK;
      }));
  }
}
