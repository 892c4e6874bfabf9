import path from 'node:path';
import type { Command } from 'commander';
import { action, withDaemon, type CliContext } from '../context.js';
import { CliError, EXIT, printJson } from '../output.js';
import { renderPlan } from '../render/plan.js';
import type { PlanResult } from '../../shared/protocol.js';

function printPlan(ctx: CliContext, r: PlanResult, json: boolean | undefined, nothing: string): number {
  if (json) printJson(ctx.io, r);
  else ctx.io.out(renderPlan(r, ctx.io.color, { nothing }).join('\n'));
  return r.errors.length ? EXIT.FAILURE : EXIT.OK;
}

export function registerReload(program: Command, ctx: CliContext): void {
  program
    .command('reload')
    .description('apply tasks/ now (the watcher does it on save; SIGHUP too)')
    .option('--json', 'print {added, removed, changed, unchanged, errors}')
    .action(action(ctx, async (opts: { json?: boolean }) => printPlan(ctx, await withDaemon(ctx, (c) => c.call('reload', {})), opts.json, 'nothing to change')));
}

export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('what the daemon would start, stop, restart or leave if it applied tasks/ now, a git revision of it (--rev) or another directory (--dir)')
    .option('--rev <revision>', "a git revision of tasks/'s repository, e.g. origin/main (before a `git pull`)")
    .option('--dir <path>', 'another task directory (e.g. a checkout not yet in place)')
    .option('--json', 'print {added, removed, changed, unchanged, errors}')
    .addHelpText('after', '\nExamples:\n  git -C tasks fetch && jobctl plan --rev origin/main\n  jobctl plan --dir ~/next/tasks\n  jobctl fleet sync --plan   (each host: what its pull would do)')
    .action(action(ctx, async (opts: { json?: boolean; rev?: string; dir?: string }) => {
      if (opts.rev !== undefined && opts.dir !== undefined) throw new CliError('plan takes --rev or --dir, not both', EXIT.USAGE);
      // A directory is the daemon's host's: made absolute here only when that host is this one.
      const dir = opts.dir !== undefined && !ctx.remote() ? path.resolve(opts.dir) : opts.dir;
      const params = { ...(opts.rev !== undefined ? { rev: opts.rev } : {}), ...(dir !== undefined ? { dir } : {}) };
      const nothing = opts.rev !== undefined || dir !== undefined ? `no changes: applying it would leave every task as it runs` : 'no changes: the daemon runs what tasks/ says';
      return printPlan(ctx, await withDaemon(ctx, (c) => c.call('plan', params)), opts.json, nothing);
    }));
}
