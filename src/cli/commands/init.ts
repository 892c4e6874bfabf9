import path from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../../shared/paths.js';
import { shellQuote } from '../../api/ssh-stream.js';
import { action, type CliContext } from '../context.js';
import { EXIT } from '../output.js';
import { schemaRefFor } from '../schema-ref.js';

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .argument('[dir]', 'the new home (default: --home, $JOBCTL_HOME, else the current directory)')
    .description('make a home: tasks/ with a commented example, state/ kept out of git')
    .addHelpText('after', '\nExamples:\n  jobctl init && jobctl up && jobctl status\n  jobctl init /srv/jobs\n\nNothing that exists is overwritten; run it again safely.')
    .action(action(ctx, async (dir: string | undefined) => {
      const { initHome } = await import('../init-home.js');
      const explicit = ctx.resolvedHome();
      const target = dir ? path.resolve(dir) : explicit.source === '--home' || explicit.source === '$JOBCTL_HOME' ? explicit.home : process.cwd();
      const r = initHome(target, schemaRefFor);
      for (const c of r.created) ctx.io.out(`created ${c.endsWith('/') ? `${displayPath(c.slice(0, -1))}/` : displayPath(c)}`);
      if (r.existingTaskFiles) ctx.io.out(`${displayPath(path.join(r.home, 'tasks'))} already has ${r.existingTaskFiles} task file(s); left as they are`);
      ctx.io.out(`next: ${nextCommand(r.home, process.cwd())}   (\`jobctl help keys\` lists every task key)`);
      return EXIT.OK;
    }));
}

/**
 * What to run next, as pasted from anywhere (here, or after the README's `cd` into the home):
 * the home's absolute path, never one relative to the directory init ran in.
 */
export function nextCommand(home: string, cwd: string): string {
  const abs = path.resolve(cwd, home);
  return abs === path.resolve(cwd) ? 'jobctl up && jobctl status' : `cd ${shellQuote(abs)} && jobctl up && jobctl status`;
}
