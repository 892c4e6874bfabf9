import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import type { FleetOptions } from '../fleet/members.js';
import { parseCount } from '../parse.js';

// The fleet code needs zod and yaml (the inventory): it is loaded only when a fleet
// command runs, so plain `jobctl status` stays light.

function fleetOptions(cmd: Command): Command {
  return cmd
    .option('--fleet <file>', 'the inventory (env JOBCTL_FLEET; default: <home>/fleet.yaml)')
    .option('--timeout <duration>', 'how long each host has to answer (default: fleet.yaml timeout, else 5s)');
}

const TARGETS = 'host:task, label:task, host:@group, or task (every host that has it)';

/** `jobctl fleet …`: every host of fleet.yaml at once, over ssh (or this host's socket for `local`). */
export function registerFleet(program: Command, ctx: CliContext): void {
  const fleet = program
    .command('fleet')
    .description('the hosts of fleet.yaml at once: status, logs, start/stop/restart/run, sync (git pull)')
    .addHelpText('after', `\nfleet.yaml (in the home, or --fleet FILE):\n  timeout: 5s\n  hosts:\n    web1: {address: ssh://deploy@web1/srv/jobctl, labels: [web]}\n    here: local\n\nExit codes: 0 every host answered, 1 a host refused, 3 a host could not be reached.`);

  fleetOptions(fleet.command('status'))
    .description('every task on every host, one table with a HOST column; unreachable hosts say why')
    .option('--json', 'print {hosts[], tasks[]} (each task with its host)')
    .action(action(ctx, async (opts: FleetOptions & { json?: boolean }) => (await import('../fleet/status.js')).fleetStatus(ctx, opts)));

  fleetOptions(fleet.command('logs'))
    .argument('<target>', TARGETS)
    .description("a task's log on every host it names, each line prefixed with the host")
    .option('-f, --follow', 'keep printing new lines from every host (Ctrl-C to stop)')
    .option('-n, --lines <N>', 'lines per host to print first', '20')
    .action(action(ctx, (target: string, opts: FleetOptions & { follow?: boolean; lines: string }) =>
      import('../fleet/logs.js').then((m) => m.fleetLogs(ctx, target, { ...opts, lines: opts.lines === '0' ? 0 : parseCount(opts.lines, '-n', 100_000) }))));

  for (const verb of ['start', 'stop', 'restart', 'run'] as const) {
    fleetOptions(fleet.command(verb))
      .argument('<target>', TARGETS)
      .description(`${verb} a task on every host the target names, in parallel`)
      .option('--json', 'print one result per host')
      .addHelpText('after', `\nExamples:\n  jobctl fleet ${verb} web1:worker\n  jobctl fleet ${verb} web:${verb === 'run' ? 'report' : '@billing'}\n  jobctl fleet ${verb} ${verb === 'run' ? 'report' : 'worker'}`)
      .action(action(ctx, async (target: string, opts: FleetOptions & { json?: boolean }) => (await import('../fleet/control.js')).fleetControl(ctx, verb, target, opts)));
  }

  fleetOptions(fleet.command('sync'))
    .description("git pull --ff-only in each host's tasks/ (over ssh); prints the commit before and after")
    .option('--json', 'print one result per host')
    .option('--plan', "pull nothing: fetch, then show per host what the pull would start, stop, restart or leave (the daemon's plan of @{upstream})")
    .action(action(ctx, async (opts: FleetOptions & { json?: boolean; plan?: boolean }) => {
      const m = await import('../fleet/sync.js');
      return opts.plan ? m.fleetSyncPlan(ctx, opts) : m.fleetSync(ctx, opts);
    }));
}
