import { didYouMean } from '../config/suggest.js';
import { JobctlError } from '../shared/errors.js';
import type { TaskSpec } from '../shared/types.js';

/**
 * A command-line target -> task names: a name, `@group` (a task file's name), or `*`
 * (every task, `--all` on the command line). Unknown targets are NOT_FOUND with a hint.
 */
export function resolveTargets(target: string, tasks: readonly TaskSpec[]): string[] {
  if (target === '*') return tasks.map((t) => t.name).sort();
  if (target.startsWith('@')) {
    const group = target.slice(1);
    const names = tasks.filter((t) => t.group === group).map((t) => t.name).sort();
    if (names.length === 0) {
      const groups = [...new Set(tasks.map((t) => t.group))];
      throw new JobctlError('NOT_FOUND', `no group "${group}"${didYouMean(group, groups)}; groups are task file names: ${groups.sort().join(', ') || 'none'}`);
    }
    return names;
  }
  if (!tasks.some((t) => t.name === target)) {
    throw new JobctlError('NOT_FOUND', `no task named "${target}"${didYouMean(target, tasks.map((t) => t.name))}; \`jobctl status\` lists them`);
  }
  return [target];
}
