import type { Command } from 'commander';
import { normalizeSignal } from '../../shared/signals.js';
import { action, withDaemon, type CliContext } from '../context.js';
import { CliError, EXIT, printJson } from '../output.js';
import { describeState } from './control.js';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .argument('<task>', 'a cron task (a service task is started)')
    .description('trigger a cron task now (its overlap policy applies); a service task: start it')
    .option('--json', 'print {run?, task}')
    .addHelpText('after', '\nExamples:\n  jobctl run nightly-report && jobctl logs nightly-report -f')
    .action(action(ctx, async (task: string, opts: { json?: boolean }) => {
      const r = await withDaemon(ctx, (c) => c.call('run', { task }));
      if (opts.json) {
        printJson(ctx.io, r);
        return r.run?.state === 'skipped' ? EXIT.FAILURE : EXIT.OK;
      }
      if (!r.run) {
        ctx.io.out(describeState(r.task, ctx.io.color));
        return EXIT.OK;
      }
      if (r.run.state === 'skipped') throw new CliError(`${task}: run skipped: ${r.run.message ?? ''}`);
      ctx.io.out(r.run.state === 'queued'
        ? `${task}: run ${r.run.id} queued (${r.run.message ?? 'waiting'})`
        : `${task}: run ${r.run.id} started; follow it with \`jobctl logs ${task} --run ${r.run.id} -f\``);
      return EXIT.OK;
    }));
}

/**
 * `jobctl kill TASK -9` / `-KILL` / `-SIGKILL`, as kill(1) takes them: rewritten to
 * `--signal X` before commander sees them (it would read `-9` as an unknown option).
 */
export function expandKillShorthand(argv: string[]): string[] {
  // The command is the first word that is neither a global option nor --home's value.
  let at = 0;
  while (at < argv.length && argv[at]!.startsWith('-')) at += argv[at] === '--home' ? 2 : 1;
  if (argv[at] !== 'kill') return argv;
  return argv.flatMap((a, i) => (i > at && /^-(\d+|[A-Za-z][A-Za-z0-9]+)$/.test(a) && normalizeSignal(a) ? ['--signal', a.slice(1)] : [a]));
}

export function registerKill(program: Command, ctx: CliContext): void {
  program
    .command('kill')
    .argument('<task>', 'task name')
    .description('send a signal to the running process groups of a task (the restart policy still applies)')
    .option('-s, --signal <signal>', 'signal: a name (TERM, SIGKILL, kill) or a number (9); `-9`, `-KILL` work too', 'SIGTERM')
    .option('--json', 'print {signalled}')
    .addHelpText('after', '\nExamples:\n  jobctl kill worker --signal HUP     # e.g. make it reopen its files\n  jobctl kill stuck-report -9')
    .action(action(ctx, async (task: string, opts: { signal: string; json?: boolean }) => {
      const sig = normalizeSignal(opts.signal);
      if (!sig) throw new CliError(`unknown signal "${opts.signal}"; use e.g. TERM, KILL, HUP, INT, USR1, USR2, or a number such as 9`, EXIT.USAGE);
      const r = await withDaemon(ctx, (c) => c.call('kill', { task, signal: sig }));
      if (opts.json) {
        printJson(ctx.io, r);
        return EXIT.OK;
      }
      ctx.io.out(`sent ${sig} to ${r.signalled} process group${r.signalled === 1 ? '' : 's'} of ${task}`);
      return EXIT.OK;
    }));
}
