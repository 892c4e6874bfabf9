import type { Command } from 'commander';
import type { JobctlClient } from '../../api/client.js';
import type { TaskStatus } from '../../shared/protocol.js';
import { action, withDaemon, type CliContext } from '../context.js';
import { CliError, EXIT, printJson } from '../output.js';
import { describeState } from './control.js';

export function registerScale(program: Command, ctx: CliContext): void {
  program
    .command('scale')
    .argument('<task>', 'a service task')
    .argument('<count>', 'number of instances, or "auto" to go back to the config (and its scale: rule)')
    .description('set how many instances a service task runs, until its config changes or `scale TASK auto`')
    .option('--json', 'print {task}')
    .option('--no-wait', 'return at once instead of waiting until the count is reached')
    .option('--timeout <seconds>', 'how long to wait for the count', '120')
    .addHelpText('after', '\nExamples:\n  jobctl scale worker 4          # waits until 4 instances run (or stop: scaling down)\n  jobctl scale worker 0 --no-wait\n  jobctl scale worker auto')
    .action(action(ctx, async (task: string, countArg: string, opts: { json?: boolean; wait: boolean; timeout: string }) => {
      const count = countArg === 'auto' ? 'auto' as const : Number(countArg);
      if (count !== 'auto' && (!Number.isInteger(count) || count < 0 || count > 1000)) {
        throw new CliError(`count: expected 0..1000 or "auto", got "${countArg}"`, EXIT.USAGE);
      }
      const timeoutMs = Number(opts.timeout) * 1000;
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout: expected seconds, got "${opts.timeout}"`, EXIT.USAGE);
      const r = await withDaemon(ctx, async (c) => {
        const first = await c.call('scale', { task, count });
        return opts.wait ? { task: await waitForCount(c, task, Date.now() + timeoutMs) } : first;
      });
      if (opts.json) printJson(ctx.io, r);
      else ctx.io.out(describeState(r.task, ctx.io.color));
      if (opts.wait && !reached(r.task)) {
        const failed = r.task.state === 'fatal' || r.task.state === 'backoff';
        throw new CliError(failed ? `${task} did not reach its count: ${r.task.state}` : `${task} did not reach its count within ${opts.timeout}s; \`jobctl status ${task}\` shows where it is`);
      }
      return EXIT.OK;
    }));
}

/** The target count (manual, autoscaled, or the spec's) is running, and nothing is starting or stopping. */
function reached(t: TaskStatus): boolean {
  const instances = t.instances ?? [];
  const target = t.scale?.target ?? instances.length;
  const busy = instances.some((i) => i.state === 'starting' || i.state === 'stopping');
  return !busy && instances.length === target && (t.running ?? 0) === target;
}

/** Poll the task until its count is reached, it fails (fatal/backoff), or the deadline. */
async function waitForCount(c: JobctlClient, task: string, deadline: number): Promise<TaskStatus> {
  for (;;) {
    const t = (await c.call('status', { target: task })).tasks[0]!;
    if (reached(t) || t.state === 'fatal' || Date.now() >= deadline) return t;
    if (t.instances?.some((i) => i.state === 'fatal')) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
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
