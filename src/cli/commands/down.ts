import fs from 'node:fs';
import net from 'node:net';
import type { Command } from 'commander';
import { homePaths } from '../../shared/paths.js';
import { formatPidRecord, type PidRecord } from '../../shared/pid-record.js';
import { readPidRecord, sameNamespace } from '../../api/pid-file.js';
import { action, withDaemon, type CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';

export function registerDown(program: Command, ctx: CliContext): void {
  program
    .command('down')
    .description('stop every task gracefully, then the daemon')
    .option('--now', 'SIGKILL every process group at once instead of stop_signal + stop_timeout')
    .option('--timeout <seconds>', 'how long to wait for the daemon to exit', '120')
    .action(action(ctx, async (opts: { now?: boolean; timeout: string }) => {
      const paths = homePaths(ctx.home());
      const pid = await withDaemon(ctx, async (c) => {
        const h = await c.call('hello', { client: 'jobctl down' });
        await c.call('shutdown', { now: Boolean(opts.now) });
        return h.pid;
      });
      // The daemon we asked is the one in the pid file now; its pid may belong to another pid
      // namespace (a daemon that is PID 1 of a container), so wait on what it leaves behind.
      const record = readPidRecord(paths.pidFile);
      const deadline = Date.now() + Number(opts.timeout) * 1000;
      if (ctx.remote()) {
        // Another host's daemon is down when its socket no longer answers through ssh.
        while (Date.now() < deadline) {
          if (!(await answers(ctx))) {
            ctx.io.out(`jobctl daemon stopped (pid ${pid})`);
            return EXIT.OK;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
        throw new CliError(`the daemon (pid ${pid}) on ${ctx.env.JOBCTL_HOST ?? 'the far host'} still answers after ${opts.timeout}s; use \`jobctl --host … down --now\` to kill its tasks`);
      }
      let refusedSince: number | undefined;
      while (Date.now() < deadline) {
        if (await daemonGone(paths, record, pid)) {
          ctx.io.out(`jobctl daemon stopped (pid ${pid})`);
          return EXIT.OK;
        }
        // A daemon that died without removing its pid file: its socket refuses connections. Not
        // one whose process we still see running (removing its files is not its exit: it may take
        // longer than 2 s to tear down, and its pid file is gone, not left behind).
        if (!runningHere(record, pid) && await socketRefuses(paths.socket)) {
          refusedSince ??= Date.now();
          if (Date.now() - refusedSince > 2000) {
            ctx.io.out(`jobctl daemon stopped (pid ${pid}; it left ${paths.pidFile} behind)`);
            return EXIT.OK;
          }
        } else refusedSince = undefined;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new CliError(`the daemon (pid ${pid}) is still stopping after ${opts.timeout}s; tasks with a long stop_timeout take that long. Use \`jobctl down --now\` to kill them`);
    }));
}

async function answers(ctx: CliContext): Promise<boolean> {
  try {
    (await ctx.connect()).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Gone: its pid file is removed or replaced and its socket is gone (its last acts) and, in our
 * pid namespace, its process has exited too. Releasing the pid file is not the end of the
 * process: Node still closes handles and tears down after it (a few ms on Node 20, often more on
 * Node 26), and a `down` that returned then left a daemon running for a moment (issue 29).
 */
async function daemonGone(paths: ReturnType<typeof homePaths>, record: PidRecord | undefined, pid: number): Promise<boolean> {
  const now = readPidRecord(paths.pidFile);
  const released = !now || !record || formatPidRecord(now) !== formatPidRecord(record);
  const here = record ? sameNamespace(record) : true;
  if (runningHere(record, pid)) return false;
  // Its own process (pid and start time) has exited in our namespace: gone, whatever holds the
  // pid file and socket now (a `jobctl up` racing this `down` starts a new daemon at once).
  if (record && here) return true;
  if (released && !fs.existsSync(paths.socket)) return true;
  return here && !fs.existsSync(paths.socket);
}

/** In our pid namespace, the daemon's process (pid and start time of its record) still runs. */
function runningHere(record: PidRecord | undefined, pid: number): boolean {
  return (record ? sameNamespace(record) : true) && alive(record?.pid ?? pid, record?.startTime);
}

function socketRefuses(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' || e.code === 'ENOENT'));
  });
}

/** The process is alive and, when `startTime` is known, is the one that wrote the record (not a reused pid). */
function alive(pid: number, startTime?: number): boolean {
  // A zombie daemon (exited, parent not reaping) counts as gone.
  if (fs.existsSync('/proc/self/stat')) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return false;
    // Field 22 of stat is the start time; fields here start at field 3.
    if (startTime && Number(fields[19]) !== startTime) return false;
    return true;
  }
  // No /proc: kill(0) says whether the pid lives.
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
