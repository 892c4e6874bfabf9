import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { didYouMean } from '../../shared/suggest.js';
import { action, type CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';

/** Task names written in each file (even invalid ones), by file. */
async function taskNamesByFile(tasksDir: string): Promise<Map<string, string[]>> {
  const { isMap, isScalar, parseDocument } = await import('yaml');
  const { findTaskFiles } = await import('../../config/load.js');
  const out = new Map<string, string[]>();
  for (const f of findTaskFiles(tasksDir)) {
    const doc = parseDocument(fs.readFileSync(f, 'utf8'));
    const tasks = isMap(doc.contents) ? doc.contents.get('tasks', true) : undefined;
    out.set(f, isMap(tasks) ? tasks.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')).filter(Boolean) : []);
  }
  return out;
}

export function registerRm(program: Command, ctx: CliContext): void {
  program
    .command('rm')
    .argument('<name>', 'task name')
    .description('remove a task from the YAML file that holds it (the daemon stops it on save)')
    .addHelpText('after', '\nOnly the task\'s own lines are removed; the rest of the file stays byte for byte.\nThe last task of a file: the file is removed when nothing else is in it (defaults:,\nnotifiers:), else `tasks: {}` stays.')
    .action(action(ctx, async (name: string) => {
      const { isEmptyTaskFile, removeTaskFromText } = await import('../../config/edit.js');
      const { applyTaskFileEdit, removeTaskFile } = await import('../edit-task-file.js');
      const tasksDir = path.join(ctx.home(), 'tasks');
      const byFile = await taskNamesByFile(tasksDir);
      const file = [...byFile].find(([, names]) => names.includes(name))?.[0];
      if (!file) {
        throw new CliError(`no task named "${name}" in ${tasksDir}${didYouMean(name, [...byFile.values()].flat())}`);
      }
      const before = fs.readFileSync(file, 'utf8');
      const after = removeTaskFromText(before, name);
      if (isEmptyTaskFile(after)) {
        // Its last task: the file goes too (it held nothing else but comments).
        removeTaskFile(ctx.io, tasksDir, file, before, `remove task ${name} and its file`);
        return EXIT.OK;
      }
      applyTaskFileEdit(ctx.io, tasksDir, file, before, after, `remove task ${name}`);
      return EXIT.OK;
    }));
}
