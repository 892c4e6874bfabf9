import type { Command } from 'commander';
import { action, withDaemon, type CliContext } from '../context.js';
import { EXIT, printJson } from '../output.js';
import { renderPlan } from '../render/plan.js';

export function registerReload(program: Command, ctx: CliContext): void {
  program
    .command('reload')
    .description('apply tasks/ now (the watcher does it on save; SIGHUP too)')
    .option('--json', 'print {added, removed, changed, unchanged, errors}')
    .action(action(ctx, async (opts: { json?: boolean }) => {
      const r = await withDaemon(ctx, (c) => c.call('reload', {}));
      if (opts.json) printJson(ctx.io, r);
      else ctx.io.out(renderPlan(r, ctx.io.color, { nothing: 'nothing to change' }).join('\n'));
      return r.errors.length ? EXIT.FAILURE : EXIT.OK;
    }));
}

export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('what the daemon would change if it applied tasks/ now')
    .option('--json', 'print {added, removed, changed, unchanged, errors}')
    .action(action(ctx, async (opts: { json?: boolean }) => {
      const r = await withDaemon(ctx, (c) => c.call('plan', {}));
      if (opts.json) printJson(ctx.io, r);
      else ctx.io.out(renderPlan(r, ctx.io.color, { nothing: 'no changes: the daemon runs what tasks/ says' }).join('\n'));
      return r.errors.length ? EXIT.FAILURE : EXIT.OK;
    }));
}
