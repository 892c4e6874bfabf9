import type { Command } from 'commander';
import { describeHome } from '../../config/home.js';
import { AuditTrail } from '../../runtime/audit-trail.js';
import { JobctlError } from '../../shared/errors.js';
import { formatInZone } from '../../shared/format.js';
import { homePaths } from '../../shared/paths.js';
import type { AuditEntry } from '../../shared/protocol.js';
import { action, withDaemon, type CliContext } from '../context.js';
import { EXIT, painter, printJson, table } from '../output.js';
import { parseCount } from '../parse.js';

/** What a call did, for the table: "stop @billing (2 tasks; 1 left alone)". */
function what(e: AuditEntry): string {
  const target = e.target !== undefined ? ` ${e.target}` : '';
  const tasks = e.tasks && e.target !== undefined && (e.tasks.length !== 1 || e.tasks[0] !== e.target) ? ` (${e.tasks.join(', ') || 'none'})` : '';
  const left = e.outOfScope ? ` [${e.outOfScope} left alone: outside the rights]` : '';
  return `${e.method}${target}${tasks}${left}`;
}

/** `jobctl audit`: the control calls made on this daemon, who made them, from where, how they ended. */
export function registerAudit(program: Command, ctx: CliContext): void {
  program
    .command('audit')
    .description('who did what: control calls (start, stop, run, reload, down…) and refusals, from state/audit.jsonl (admin)')
    .option('-n <N>', 'how many of the newest entries', '50')
    .option('--json', 'print {entries[]} (at, operator, role, from, method, target, tasks, outOfScope, result, code, message)')
    .addHelpText('after', '\nRights per operator and the audit trail: docs/access.md\nWith the daemon down, state/audit.jsonl is read directly.')
    .action(action(ctx, async (opts: { n: string; json?: boolean }) => {
      const limit = parseCount(opts.n, '-n', 100_000);
      let entries: AuditEntry[];
      try {
        entries = (await withDaemon(ctx, (c) => c.call('audit', { limit }))).entries;
      } catch (e) {
        if (!(e instanceof JobctlError && e.code === 'DAEMON_UNREACHABLE' && e.message.startsWith('daemon not running'))) throw e;
        const paths = homePaths(ctx.home());
        ctx.io.err(`jobctl: daemon not running (home ${describeHome(ctx.resolvedHome())}); reading ${paths.audit} directly`);
        entries = new AuditTrail(paths.audit).tail(limit);
      }
      if (opts.json) {
        printJson(ctx.io, { entries });
        return EXIT.OK;
      }
      if (!entries.length) {
        ctx.io.out('no control calls recorded yet');
        return EXIT.OK;
      }
      const paint = painter(ctx.io.color);
      const rows = [['TIME', 'OPERATOR', 'FROM', 'CALL', 'RESULT'].map((h) => paint('bold', h))];
      for (const e of entries) {
        rows.push([
          formatInZone(new Date(e.at)), `${e.operator} (${e.role})`, e.from?.split(' ')[0] ?? 'local', what(e),
          e.result === 'ok' ? paint('green', 'ok') : paint('red', `${e.code ?? 'error'}: ${e.message ?? ''}`),
        ]);
      }
      ctx.io.out(table(rows));
      return EXIT.OK;
    }));
}
