import { didYouMean } from '../shared/suggest.js';
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

/** Whether a target names more than one task by form (`@group`, `*`). */
export function isGroupTarget(target: string): boolean {
  return target === '*' || target.startsWith('@');
}

/**
 * For methods that act on one task (run, kill, logs, history, scale): a group or `--all`
 * is BAD_TARGET, with what to do instead.
 */
export function requireSingleTarget(target: string, method: string): string {
  if (isGroupTarget(target)) {
    const what = target === '*' ? '--all' : `a group (${target})`;
    throw new JobctlError('BAD_TARGET', `${method} takes one task name, not ${what}; name one task (\`jobctl status ${target === '*' ? '' : target}\` lists them)`.replace(' )', ')').replace('status `', 'status`'));
  }
  return target;
}
