import type { Command } from 'commander';
import { action, withDaemon, type CliContext } from '../context.js';
import { EXIT, printJson } from '../output.js';
import { renderPlan } from '../render/plan.js';

function registerDiffCommand(program: Command, ctx: CliContext, name: 'reload' | 'plan', description: string, nothing: string): void {
  program
    .command(name)
    .description(description)
    .option('--json', 'print {added, removed, changed, unchanged, errors}')
    .action(action(ctx, async (opts: { json?: boolean }) => {
      const r = await withDaemon(ctx, (c) => (name === 'reload' ? c.call('reload', {}) : c.call('plan', {})));
      if (opts.json) printJson(ctx.io, r);
      else ctx.io.out(renderPlan(r, ctx.io.color, { nothing }).join('\n'));
      return r.errors.length ? EXIT.FAILURE : EXIT.OK;
    }));
}

export function registerReload(program: Command, ctx: CliContext): void {
  registerDiffCommand(program, ctx, 'reload', 'apply tasks/ now (the watcher does it on save; SIGHUP too)', 'nothing to change');
}

export function registerPlan(program: Command, ctx: CliContext): void {
  registerDiffCommand(program, ctx, 'plan', 'what the daemon would change if it applied tasks/ now', 'no changes: the daemon runs what tasks/ says');
}
