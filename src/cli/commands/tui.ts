import type { Command } from 'commander';
import { formatAddress, type DaemonAddress } from '../../shared/address.js';
import { prepareTerminalEnv } from '../../shared/color.js';
import { action, type CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';

/** The host part of a far address, for titles (the far home comes from its daemon); undefined: this host. */
function hostOf(a: DaemonAddress | undefined): string | undefined {
  if (a?.kind !== 'ssh') return undefined;
  const { home: _farHome, ...host } = a;
  return formatAddress(host);
}

/** The TUI and the dashboard load their libraries only when asked for (Ink costs ~350 ms). */
export function registerTui(program: Command, ctx: CliContext): void {
  program
    .command('tui')
    .description('the interactive terminal UI: every task, live logs, start/stop (? for keys)')
    .option('--fleet [file]', 'every host of the fleet inventory (default <home>/fleet.yaml): a HOST column, h filters by host')
    .option('--timeout <duration>', 'with --fleet: how long each host has to connect and answer (default: fleet.yaml timeout, else 5s)')
    .addHelpText('after', '\nKeys: ↑↓/jk move, enter detail, s start, x stop, r restart, t run, K kill, l logs, [ ] earlier/later run or instance, w wrap, / filter (in the log: search, n/N), h host (fleet), ? help, q quit')
    .action(action(ctx, async (opts: { fleet?: string | boolean; timeout?: string }) => {
      if (!process.stdout.isTTY) throw new CliError('jobctl tui needs a terminal; use `jobctl status` in scripts', EXIT.USAGE);
      // A live screen with colors on a real terminal, whatever CI says (shared/color.ts).
      prepareTerminalEnv(process.env, true);
      const dial = () => ctx.dial(ctx.remote() ?? { kind: 'local' }, { connectTimeoutMs: 5000 });
      if (opts.fleet) {
        const [{ runTui }, { FleetBackend }, { openFleet }] = await Promise.all([import('../../tui/run.js'), import('../../tui/fleet-backend.js'), import('../fleet/members.js')]);
        const f = openFleet(ctx, { ...(typeof opts.fleet === 'string' ? { fleet: opts.fleet } : {}), ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) });
        return runTui({ dial, backend: new FleetBackend(f.fleet.hosts.map((h) => ({ ...f.member(h), address: formatAddress(h.address) })), 2000, f.timeoutMs) });
      }
      const { runTui } = await import('../../tui/run.js');
      const where = hostOf(ctx.remote());
      return runTui({ dial, ...(where ? { where } : {}) });
    }));
  program
    .command('top')
    .description('metrics dashboard: CPU and memory charts, run durations, tasks, events (like pm2 monit)')
    .option('--refresh <ms>', 'refresh interval', '1000')
    .addHelpText('after', '\nKeys: ↑↓ PgUp PgDn Home End select a task (the charts and the log pane follow it), Esc back to the busiest tasks, q quit')
    .action(action(ctx, async (opts: { refresh: string }) => {
      if (!process.stdout.isTTY) throw new CliError('jobctl top needs a terminal; use `jobctl status --json` in scripts', EXIT.USAGE);
      prepareTerminalEnv(process.env, true);
      const { runTop } = await import('../../tui/top/run.js');
      const where = hostOf(ctx.remote());
      const { ClientBackend } = await import('../../tui/backend.js');
      const backend = new ClientBackend(() => ctx.dial(ctx.remote() ?? { kind: 'local' }, { connectTimeoutMs: 5000 }), 1000, where);
      return runTop({ backend, refreshMs: Math.max(200, Number(opts.refresh) || 1000) });
    }));
}
