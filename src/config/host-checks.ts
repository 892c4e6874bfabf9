import type { ConfigIssue, ConfigSet } from '../shared/types.js';
import { lookupGroup, lookupUser } from './users.js';

/**
 * Checks that depend on this host rather than on the files: a `user:` or `group:` that
 * does not exist here. `validate` shows them as warnings (the files may be meant for
 * another host); the daemon fails to start such a task with a clear error.
 */
export function hostWarnings(set: ConfigSet): ConfigIssue[] {
  const display = new Map(set.files.map((f) => [f.path, f.file]));
  const out: ConfigIssue[] = [];
  for (const t of set.tasks) {
    const file = display.get(t.source.file) ?? t.source.file;
    const at = { file, line: t.source.line, col: 1, task: t.name };
    if (t.runAs?.user !== undefined && !lookupUser(t.runAs.user)) {
      out.push({ ...at, key: 'user', message: `user "${t.runAs.user}" does not exist on this host; the daemon will refuse to start this task here` });
    }
    if (t.runAs?.group !== undefined && lookupGroup(t.runAs.group) === undefined) {
      out.push({ ...at, key: 'group', message: `group "${t.runAs.group}" does not exist on this host; the daemon will refuse to start this task here` });
    }
  }
  return out;
}
