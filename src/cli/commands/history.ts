import type { Command } from 'commander';
import { describeHome } from '../../config/home.js';
import { JobctlError } from '../../shared/errors.js';
import { formatDuration, formatInZone } from '../../shared/format.js';
import { homePaths } from '../../shared/paths.js';
import type { RunRecord } from '../../shared/types.js';
import { action, withDaemon, type CliContext } from '../context.js';
import { EXIT, painter, printJson, table } from '../output.js';
import { parseCount } from '../parse.js';
import { paintState } from '../render/status.js';

export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .argument('<task>', 'a cron task')
    .description("a cron task's recent runs: trigger, attempt, times, result")
    .option('-n <N>', 'how many runs', '20')
    .option('--json', 'print {runs[]} (RunRecord: id, task, scheduledAt, startedAt, endedAt, exitCode, signal, attempt, trigger, state, message, triggeredBy, tag: the admin\'s logId on runs with trigger xxljob)')
    .addHelpText('after', '\nA run\'s own log: jobctl logs TASK --run ID\nWith the daemon down, the run records in state/ are read directly.')
    .action(action(ctx, async (task: string, opts: { n: string; json?: boolean }) => {
      const limit = parseCount(opts.n, '-n', 10_000);
      let r: { runs: RunRecord[] };
      try {
        r = await withDaemon(ctx, (c) => c.call('history', { task, limit }));
      } catch (e) {
        if (!(e instanceof JobctlError && e.code === 'DAEMON_UNREACHABLE' && e.message.startsWith('daemon not running'))) throw e;
        // The daemon is down: the run records it keeps in state/, read directly.
        const { offlineHistory } = await import('../../api/offline.js');
        const paths = homePaths(ctx.home());
        ctx.io.err(`jobctl: daemon not running (home ${describeHome(ctx.resolvedHome())}); reading the run records in ${paths.runs} directly`);
        r = { runs: offlineHistory(paths, task, limit) };
      }
      if (opts.json) {
        printJson(ctx.io, r);
        return EXIT.OK;
      }
      if (r.runs.length === 0) {
        ctx.io.out(`${task} has not run yet`);
        return EXIT.OK;
      }
      const paint = painter(ctx.io.color);
      const rows = [['RUN', 'TRIGGER', 'TRY', 'SCHEDULED', 'DURATION', 'STATE', 'EXIT', 'NOTE'].map((h) => paint('bold', h))];
      for (const run of [...r.runs].reverse()) {
        rows.push([
          run.id, run.trigger === 'xxljob' && run.tag !== undefined ? `xxljob (log ${run.tag})` : run.trigger, String(run.attempt), formatInZone(new Date(run.scheduledAt)),
          run.startedAt !== undefined ? formatDuration((run.endedAt ?? Date.now()) - run.startedAt) : '-',
          paintState(paint, run.state),
          run.signal ? run.signal : run.exitCode !== undefined && run.exitCode !== null ? String(run.exitCode) : '-',
          run.state === 'succeeded' ? '' : run.message ?? '',
        ]);
      }
      ctx.io.out(table(rows));
      return EXIT.OK;
    }));
}
