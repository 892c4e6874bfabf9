import type { TaskDetails, TaskStatus } from '../shared/protocol.js';
import type { TaskRegistry } from './registry.js';

/** Lines of the last exit or run shown by `status TASK`. */
const LAST_LINES = 5;

/** `status TASK`'s details of one task, from its spec and its runner (logs, policy). */
export function taskDetails(registry: TaskRegistry, status: TaskStatus): TaskDetails | undefined {
  const spec = registry.get(status.name);
  if (!spec) return undefined;
  const runner = registry.require(status.name);
  let lastLines: string[] = [];
  let files: string[] = [];
  try {
    const parts = runner.logs({}).read(LAST_LINES, false);
    lastLines = parts.flatMap((p) => p.lines).slice(-LAST_LINES);
    files = parts.flatMap((p) => p.files);
  } catch {
    /* no log yet */
  }
  const { logFiles, ...policy } = runner.details(files);
  return {
    command: spec.command,
    cwd: spec.cwd,
    ...(spec.runAs?.user !== undefined ? { user: spec.runAs.user } : {}),
    ...(spec.runAs?.group !== undefined ? { group: spec.runAs.group } : {}),
    envKeys: Object.keys(spec.env).sort(),
    ...(spec.envFile !== undefined ? { envFile: spec.envFile } : {}),
    logFiles: [...new Set(logFiles)],
    lastLines,
    ...policy,
  };
}
