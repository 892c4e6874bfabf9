import path from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../../shared/paths.js';
import { action, type CliContext } from '../context.js';
import { EXIT, painter, printJson } from '../output.js';

import { formatIssue } from '../render/issues.js';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .argument('[dir]', 'task directory (default: <home>/tasks)')
    .description('check task files; exit 1 with FILE:LINE:COL errors')
    .option('--json', 'print {ok, files, errors} as JSON')
    .addHelpText('after', '\nExamples:\n  jobctl validate\n  jobctl validate ./tasks --json')
    .action(action(ctx, async (dir: string | undefined, opts: { json?: boolean }) => {
      const { loadTaskDir } = await import('../../config/load.js');
      const target = dir ? path.resolve(dir) : path.join(ctx.home(), 'tasks');
      const set = loadTaskDir(target, dir ?? displayPath(target));
      const ok = set.errors.length === 0;
      if (opts.json) {
        printJson(ctx.io, { ok, dir: set.dir, files: set.files, errors: set.errors });
        return ok ? EXIT.OK : EXIT.FAILURE;
      }
      const paint = painter(ctx.io.color);
      for (const f of set.files) {
        const what = `${plural(f.tasks.length, 'task')}${f.notifiers.length ? `, ${plural(f.notifiers.length, 'notifier')}` : ''}`;
        ctx.io.out(f.errors ? `${paint('red', '✗')} ${f.file}: ${plural(f.errors, 'error')}` : `${paint('green', '✓')} ${f.file}: ${what}`);
      }
      if (!ok) {
        for (const e of set.errors) ctx.io.err(formatIssue(e));
        ctx.io.err(`${plural(set.errors.length, 'error')} in ${dir ?? displayPath(set.dir)}; fix them and run \`jobctl validate\` again`);
        return EXIT.FAILURE;
      }
      if (set.files.length === 0) ctx.io.out(`no task files (*.yaml, *.yml) in ${displayPath(set.dir)}`);
      return EXIT.OK;
    }));
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
