import type { Command } from 'commander';
import { action, withDaemon, type CliContext } from '../context.js';
import { EXIT, printJson } from '../output.js';
import { describeHome } from '../../config/home.js';
import { renderStatus } from '../render/status.js';
import { formatAddress } from '../../shared/address.js';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .argument('[target]', 'a task name or @group (default: every task)')
    .description('every task: state, processes, uptime or next run, last run, restarts, CPU, memory')
    .option('--json', 'print {daemon, tasks[]} (shape in docs/protocol.md)')
    .option('-v, --verbose', 'containment with its cgroup paths (as --json has them)')
    .option('--all-hosts', 'also list the tasks of tasks/ whose `hosts:` leave this host out ("not for this host")')
    .addHelpText('after', '\nExamples:\n  jobctl status\n  jobctl status worker\n  jobctl status @billing --json')
    .action(action(ctx, async (target: string | undefined, opts: { json?: boolean; allHosts?: boolean; verbose?: boolean }) => {
      const s = await withDaemon(ctx, (c) => c.call('status', { ...(target ? { target } : {}), ...(opts.allHosts ? { allHosts: true } : {}) }));
      if (opts.json) printJson(ctx.io, s);
      else ctx.io.out(renderStatus(s, ctx.io.color, { single: Boolean(target && !target.startsWith('@')), homeText: homeText(ctx, s.daemon.home), ...(opts.verbose ? { verbose: true } : {}) }));
      return EXIT.OK;
    }));
}

/** The home the answering daemon runs in: over ssh it is the far host's, never this machine's. */
export function homeText(ctx: CliContext, daemonHome: string): string {
  const far = ctx.remote();
  // The host without the home the address may repeat: `home /srv/jobs on ssh://deploy@web1:2222`.
  return far ? `${daemonHome} on ${formatAddress(far.kind === 'ssh' ? { kind: 'ssh', host: far.host, ...(far.user ? { user: far.user } : {}), ...(far.port ? { port: far.port } : {}) } : far)}` : describeHome(ctx.resolvedHome());
}
