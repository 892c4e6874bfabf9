import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../../shared/paths.js';
import { action, type CliContext } from '../context.js';
import { EXIT, painter, printJson } from '../output.js';
import { formatIssue } from '../render/issues.js';

/** DIR may be a home (it has tasks/) or a task directory itself. */
export function taskDirOf(dir: string): string {
  const abs = path.resolve(dir);
  const inner = path.join(abs, 'tasks');
  return fs.existsSync(inner) && fs.statSync(inner).isDirectory() ? inner : abs;
}

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .argument('[dir]', 'a home (its tasks/ is checked) or a task directory (default: <home>/tasks)')
    .description('check task files; exit 1 with FILE:LINE:COL errors (warnings, e.g. an unknown user:, do not fail)')
    .option('--json', 'print {ok, dir, files, errors, warnings} as JSON')
    .addHelpText('after', '\nExamples:\n  jobctl validate\n  jobctl validate /srv/jobs        # a home: checks /srv/jobs/tasks\n  jobctl validate ./tasks --json')
    .action(action(ctx, async (dir: string | undefined, opts: { json?: boolean }) => {
      const { loadTaskDir } = await import('../../config/load.js');
      const { hostWarnings } = await import('../../config/host-checks.js');
      const target = dir ? taskDirOf(dir) : path.join(ctx.home(), 'tasks');
      const shown = dir ? (target === path.resolve(dir) ? dir : path.join(dir, 'tasks')) : displayPath(target);
      const set = loadTaskDir(target, shown);
      const warnings = hostWarnings(set);
      const ok = set.errors.length === 0;
      if (opts.json) {
        printJson(ctx.io, { ok, dir: set.dir, files: set.files, errors: set.errors, warnings });
        return ok ? EXIT.OK : EXIT.FAILURE;
      }
      const paint = painter(ctx.io.color);
      for (const f of set.files) {
        const what = `${plural(f.tasks.length, 'task')}${f.notifiers.length ? `, ${plural(f.notifiers.length, 'notifier')}` : ''}`;
        ctx.io.out(f.errors ? `${paint('red', '✗')} ${f.file}: ${plural(f.errors, 'error')}` : `${paint('green', '✓')} ${f.file}: ${what}`);
      }
      for (const w of warnings) ctx.io.err(`${paint('yellow', 'warning:')} ${formatIssue(w)}`);
      if (!ok) {
        for (const e of set.errors) ctx.io.err(formatIssue(e));
        ctx.io.err(`${plural(set.errors.length, 'error')} in ${shown}; fix them and run \`jobctl validate\` again`);
        return EXIT.FAILURE;
      }
      if (set.files.length === 0) ctx.io.out(`no task files (*.yaml, *.yml) in ${shown}`);
      return EXIT.OK;
    }));
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
