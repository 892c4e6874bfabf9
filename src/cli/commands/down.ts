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
        // A daemon that died without removing its pid file: its socket refuses connections.
        if (await socketRefuses(paths.socket)) {
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

/** Gone: its pid file is removed or replaced (its last act), or, in our namespace, its process is dead. */
async function daemonGone(paths: ReturnType<typeof homePaths>, record: PidRecord | undefined, pid: number): Promise<boolean> {
  const now = readPidRecord(paths.pidFile);
  const released = !now || !record || formatPidRecord(now) !== formatPidRecord(record);
  const here = record ? sameNamespace(record) : true;
  // Released is its last act but one: in our namespace, "stopped" waits for the process too.
  if (released && !fs.existsSync(paths.socket)) return !here || !alive(record?.pid ?? pid);
  return here && !alive(record?.pid ?? pid) && !fs.existsSync(paths.socket);
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

function alive(pid: number): boolean {
  // A zombie daemon (exited, parent not reaping) counts as gone.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    /* no /proc: fall back to kill(0) */
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
