import type { JobctlClient } from '../../api/client.js';
import { askFleet, unreachableAnswer } from '../../api/fleet-client.js';
import { JobctlError } from '../../shared/errors.js';
import type { PushMessage } from '../../shared/protocol.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';
import { openFleet, type FleetOptions } from './members.js';
import { resolveFleetTarget } from './targets.js';

/** Prefix every complete line with the host; a partial line waits for its end. */
export function linePrefixer(prefix: string, write: (text: string) => void): (text: string) => void {
  let partial = '';
  return (text) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    if (parts.length) write(parts.map((l) => `${prefix}${l}\n`).join(''));
  };
}

/**
 * `jobctl fleet logs TARGET [-f]`: the task's log on every host the target names, each line
 * prefixed with its host. With -f, lines keep coming from every host; a host that drops
 * says so in one line and the others go on.
 */
export async function fleetLogs(ctx: CliContext, text: string, opts: FleetOptions & { follow?: boolean; lines: number }): Promise<number> {
  const f = openFleet(ctx, opts);
  const t = resolveFleetTarget(text, f.fleet.hosts);
  if (t.target.startsWith('@') || t.target === '*') throw new CliError('fleet logs takes a task (host:task, label:task or task)', EXIT.USAGE);
  const width = Math.max(...t.hosts.map((h) => h.name.length));
  const prefix = (host: string) => `${host.padEnd(width)} | `;
  const open: Array<{ host: string; client: JobctlClient; subscription?: number }> = [];
  const answers = await askFleet(t.hosts.map(f.member), async (c, h) => {
    try {
      const r = await c.call('logs', { task: t.target, lines: opts.lines, ...(opts.follow ? { follow: true } : {}) });
      if (opts.follow) open.push({ host: h.name, client: c, ...(r.subscription !== undefined ? { subscription: r.subscription } : {}) });
      else c.close();
      return r.lines;
    } catch (e) {
      c.close();
      if (t.wherever && e instanceof JobctlError && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }, f.timeoutMs, true);
  const present = answers.filter((a) => !(a.ok && a.value === undefined));
  if (present.length === 0) throw new CliError(`no host in the fleet has "${t.target}"`, EXIT.FAILURE);
  for (const a of present) {
    if (!a.ok) ctx.io.err(`jobctl: ${a.host}: ${a.error}`);
    else if (a.value!.length) ctx.io.out(a.value!.map((l) => `${prefix(a.host)}${l}`).join('\n'));
  }
  const code = present.some(unreachableAnswer) ? EXIT.UNREACHABLE : present.some((a) => !a.ok) ? EXIT.FAILURE : EXIT.OK;
  if (!opts.follow || open.length === 0) return code;
  return new Promise<number>((resolve) => {
    let live = open.length;
    let lost = false;
    const done = () => {
      for (const o of open) o.client.close();
      resolve(lost ? EXIT.UNREACHABLE : code);
    };
    // Backpressure: while stdout is full, no host is read (each daemon then leaves output out
    // for this client and says so, as with `jobctl logs -f`).
    let waiting = false;
    const out = (text: string) => {
      if (process.stdout.write(text) || waiting) return;
      waiting = true;
      for (const o of open) o.client.pause();
      process.stdout.once('drain', () => {
        waiting = false;
        for (const o of open) o.client.resume();
      });
    };
    for (const o of open) {
      const write = linePrefixer(prefix(o.host), out);
      let ended = false;
      let skipped = 0;
      let notedAt = 0;
      const end = () => {
        if (ended) return;
        ended = true;
        if (--live === 0) done();
      };
      o.client.on('push', (m: PushMessage) => {
        if (m.event === 'log' && m.data.subscription === o.subscription) write(m.data.text);
        if (m.event === 'log-end' && m.data.subscription === o.subscription) {
          ctx.io.err(`jobctl: ${o.host}: ${m.data.reason}`);
          end();
        }
        if (m.event === 'log-skipped' && m.data.subscription === o.subscription) {
          skipped += m.data.bytes;
          if (Date.now() - notedAt >= 2000) {
            ctx.io.err(`jobctl: ${o.host}: ${skipped} bytes of output skipped: the task writes faster than this reader reads`);
            skipped = 0;
            notedAt = Date.now();
          }
        }
        if (m.event === 'dropped') {
          lost = true;
          ctx.io.err(`jobctl: ${o.host}: the daemon stopped sending: ${m.data.reason}`);
          end();
        }
      });
      o.client.on('close', () => {
        if (!ended) {
          lost = true;
          ctx.io.err(`jobctl: ${o.host}: the connection dropped; the other hosts go on`);
        }
        end();
      });
    }
    process.once('SIGINT', done);
  });
}
