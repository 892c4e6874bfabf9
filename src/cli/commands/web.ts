import { hostname } from 'node:os';
import type { Command } from 'commander';
import { formatAddress } from '../../shared/address.js';
import { action, type CliContext } from '../context.js';

interface WebOpts {
  fleet?: string | boolean;
  timeout?: string;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  open?: boolean;
  readOnly?: boolean;
}

/**
 * `jobctl web`: the browser view, served from this machine. It reaches daemons as the TUI
 * does (this host's socket, `--host ssh://…`, or every host of fleet.yaml), so no host opens
 * a port, and the rights of each connection apply. The server code loads only here.
 */
export function registerWeb(program: Command, ctx: CliContext): void {
  program
    .command('web')
    .description('a browser view of this host or the fleet: tasks, runs, logs, actions (served from this machine)')
    .option('--fleet [file]', 'every host of the fleet inventory (default <home>/fleet.yaml)')
    .option('--timeout <duration>', 'with --fleet: how long each host has to connect (default: fleet.yaml timeout, else 5s)')
    .option('--listen <host:port>', 'where to serve the page; an address other than loopback needs --tls-cert and --tls-key', '127.0.0.1:8080')
    .option('--tls-cert <file>', 'PEM certificate: serve https')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--read-only', 'show no actions and refuse them, whatever the connections may do')
    .option('--open', 'open the page in the default browser (xdg-open)')
    .addHelpText('after', '\nThe address printed at start carries a one-time token; the page keeps a cookie instead.\nKeys on the page: / filter, j k move, enter open, s x r R t K actions, l live log, space pause, ? help.')
    .action(action(ctx, async (opts: WebOpts) => {
      const [{ startWeb }, { resolveListen }, { openPage }] = await Promise.all([import('../../web/start.js'), import('../../web/listen.js'), import('../../web/open-page.js')]);
      const listen = resolveListen(opts.listen, opts.tlsCert, opts.tlsKey);
      const fleet = opts.fleet ? await fleetHosts(ctx, opts) : undefined;
      const hosts = fleet ? fleet.hosts : [singleHost(ctx)];
      const web = await startWeb({
        hosts,
        mode: opts.fleet ? 'fleet' : 'single',
        title: opts.fleet ? `fleet (${hosts.length} host${hosts.length === 1 ? '' : 's'})` : hosts[0]!.name,
        listen,
        readOnly: Boolean(opts.readOnly),
        ...(fleet ? { answerMs: fleet.timeoutMs } : {}),
      });
      ctx.io.out(`jobctl web: ${opts.fleet ? `${hosts.length} host(s) of the fleet` : hosts[0]!.address}${opts.readOnly ? ' (read-only)' : ''}; open\n  ${web.url}\n(Ctrl-C to stop)`);
      const opened = opts.open ? openPage(web.url, () => ctx.io.err('jobctl web: could not open a browser (no xdg-open); open the address above yourself')) : undefined;
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      opened?.remove();
      await web.close();
      return 0;
    }));
}

function singleHost(ctx: CliContext) {
  const remote = ctx.remote();
  return {
    // A task is keyed `host:task`: an IPv6 address is named without its colons.
    name: remote?.kind === 'ssh' ? remote.host.replace(/[[\]]/g, '').replace(/:/g, '-') : hostname(),
    address: remote ? formatAddress(remote) : `local:${ctx.home()}`,
    labels: [] as string[],
    // ssh, and the far side's node starting `jobctl dial-stdio`, may take seconds on a busy host.
    dial: () => ctx.dial(remote ?? { kind: 'local' }, { connectTimeoutMs: remote ? 15_000 : 5000 }),
  };
}

async function fleetHosts(ctx: CliContext, opts: WebOpts) {
  const { openFleet } = await import('../fleet/members.js');
  const f = openFleet(ctx, { ...(typeof opts.fleet === 'string' ? { fleet: opts.fleet } : {}), ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) });
  return { hosts: f.fleet.hosts.map((h) => ({ ...f.member(h), address: formatAddress(h.address) })), timeoutMs: f.timeoutMs };
}
