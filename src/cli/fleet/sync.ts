import { execFile } from 'node:child_process';
import { askFleet } from '../../api/fleet-client.js';
import { shellQuote, sshArgv } from '../../api/ssh-stream.js';
import type { FleetHost } from '../../config/fleet.js';
import { errorMessage } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { EXIT, painter, printJson, table } from '../output.js';
import { openFleet, type FleetOptions } from './members.js';
import { renderPlan } from '../render/plan.js';
import type { PlanResult } from '../../shared/protocol.js';

export interface SyncResult {
  host: string;
  ok: boolean;
  tasksDir?: string;
  before?: string;
  after?: string;
  error?: string;
}

/** The script run on each host: the commit before, the pull, the commit after. */
export function pullScript(tasksDir: string): string {
  const dir = shellQuote(tasksDir);
  return `git -C ${dir} rev-parse --short HEAD && git -C ${dir} pull --ff-only -q && git -C ${dir} rev-parse --short HEAD`;
}

function run(argv: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const said = stderr.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
        reject(new Error(said || (err.killed ? `no answer within ${timeoutMs}ms` : err.message)));
      } else resolve(stdout);
    });
  });
}

/** The script `sync --plan` runs on each host: fetch only, then the commits of HEAD and of what a pull would merge. */
export function fetchScript(tasksDir: string): string {
  const dir = shellQuote(tasksDir);
  return `git -C ${dir} fetch -q && git -C ${dir} rev-parse --short HEAD && git -C ${dir} rev-parse --short '@{upstream}'`;
}

/** Run a script in a host's tasks/: over ssh, or here for `local`. */
function hostScript(ctx: CliContext, f: ReturnType<typeof openFleet>) {
  const gitTimeout = Math.max(30_000, f.timeoutMs);
  const tasksDirOf = async (h: FleetHost): Promise<string> => {
    if (h.address.home) return `${h.address.home.replace(/\/+$/, '')}/tasks`;
    if (h.address.kind === 'local') return `${ctx.home()}/tasks`;
    const [a] = await askFleet([f.member(h)], (c) => c.call('status', {}), f.timeoutMs);
    if (!a!.ok) throw new Error(`cannot learn its tasks directory (no home in the address and the daemon did not answer: ${a!.error})`);
    return a!.value.daemon.tasksDir;
  };
  const runIn = async (h: FleetHost, script: string): Promise<string[]> => {
    const argv = h.address.kind === 'ssh'
      ? sshArgv(h.address, script, { ...(ctx.env.JOBCTL_SSH_COMMAND ? { sshCommand: ctx.env.JOBCTL_SSH_COMMAND } : {}), batch: true, connectTimeoutSeconds: Math.max(1, Math.ceil(f.timeoutMs / 1000)) })
      : ['/bin/sh', '-c', script];
    return (await run(argv, gitTimeout)).trim().split('\n').map((l) => l.trim());
  };
  return { tasksDirOf, runIn };
}

export interface SyncPlanResult extends SyncResult {
  plan?: PlanResult;
}

/**
 * Each host of the fleet in parallel: its tasks/, `script` run there (its lines: the commit
 * before and after), then `more` with them; whatever fails is that host's failed result.
 */
async function eachHost<R extends SyncResult>(ctx: CliContext, f: ReturnType<typeof openFleet>, script: (tasksDir: string) => string, more: (h: FleetHost, after: string | undefined) => Promise<Partial<R>> = async () => ({})): Promise<R[]> {
  const inHost = hostScript(ctx, f);
  return Promise.all(f.fleet.hosts.map(async (h) => {
    let tasksDir: string | undefined;
    try {
      tasksDir = await inHost.tasksDirOf(h);
      const [before, after] = await inHost.runIn(h, script(tasksDir));
      return { host: h.name, ok: true, tasksDir, ...(before ? { before } : {}), ...(after ? { after } : {}), ...(await more(h, after)) } as R;
    } catch (e) {
      return { host: h.name, ok: false, ...(tasksDir ? { tasksDir } : {}), error: errorMessage(e) } as R;
    }
  }));
}

/**
 * `jobctl fleet sync --plan`: on each host, `git fetch` (nothing merged), then the daemon's
 * plan of `@{upstream}` (`plan --rev`): what the pull would start, stop, restart or leave.
 */
export async function fleetSyncPlan(ctx: CliContext, opts: FleetOptions & { json?: boolean }): Promise<number> {
  const f = openFleet(ctx, opts);
  const results = await eachHost<SyncPlanResult>(ctx, f, fetchScript, async (h, after) => {
    const [a] = await askFleet([f.member(h)], (c) => c.call('plan', { rev: after ?? '@{upstream}' }), f.timeoutMs, false, Math.max(f.timeoutMs, 30_000));
    if (!a!.ok) throw new Error(a!.error);
    return { plan: a!.value };
  });
  if (opts.json) printJson(ctx.io, results);
  else {
    const paint = painter(ctx.io.color);
    const out: string[] = [];
    for (const r of results) {
      if (!r.ok || !r.plan) {
        out.push(`${paint('bold', r.host)}: ${paint('red', 'failed')}: ${r.error}`);
        continue;
      }
      out.push(`${paint('bold', r.host)}: ${r.before === r.after ? `${r.after} (up to date)` : `${r.before} -> ${r.after}`}, the pull would:`);
      const { source: _planned, ...plan } = r.plan;
      out.push(...renderPlan(plan, ctx.io.color, { nothing: 'change nothing' }).map((l) => `  ${l}`));
    }
    ctx.io.out(out.join('\n'));
  }
  return results.every((r) => r.ok && !r.plan?.errors.length) ? EXIT.OK : EXIT.FAILURE;
}

/**
 * `jobctl fleet sync`: `git pull --ff-only` in each host's tasks/ (over ssh, or here for
 * `local`), in parallel; reports the commit before and after. Each daemon's watcher then
 * applies the change. The tasks directory is the address's home + /tasks, or, without a
 * home in the address, what the daemon there says.
 */
export async function fleetSync(ctx: CliContext, opts: FleetOptions & { json?: boolean }): Promise<number> {
  const results = await eachHost<SyncResult>(ctx, openFleet(ctx, opts), pullScript);
  if (opts.json) printJson(ctx.io, results);
  else {
    const paint = painter(ctx.io.color);
    ctx.io.out(table(results.map((r) => [
      r.host,
      !r.ok ? `${paint('red', 'failed')}: ${r.error}` : r.before === r.after ? `${r.after} (up to date)` : `${r.before} -> ${paint('green', r.after ?? '?')}`,
    ])));
  }
  return results.every((r) => r.ok) ? EXIT.OK : EXIT.FAILURE;
}
