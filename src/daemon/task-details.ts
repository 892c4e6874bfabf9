import type { HomePaths } from '../shared/paths.js';
import type { TaskDetails, TaskStatus } from '../shared/protocol.js';
import type { TaskRegistry } from './registry.js';

/** Lines of the last exit or run shown by `status TASK`. */
const LAST_LINES = 5;

/** `status TASK`'s details of one task, from its spec and its runner's logs. */
export function taskDetails(registry: TaskRegistry, paths: HomePaths, status: TaskStatus): TaskDetails | undefined {
  const spec = registry.get(status.name);
  if (!spec) return undefined;
  let lastLines: string[] = [];
  let files: string[] = [];
  try {
    const parts = registry.require(status.name).logs({}).read(LAST_LINES, false);
    lastLines = parts.flatMap((p) => p.lines).slice(-LAST_LINES);
    files = parts.flatMap((p) => p.files);
  } catch {
    /* no log yet */
  }
  const logFiles = spec.kind === 'cron'
    ? [...files, paths.runLogDir(spec.name)]
    : (status.instances ?? []).map((i) => paths.instanceLog(spec.name, i.index));
  return {
    command: spec.command,
    cwd: spec.cwd,
    ...(spec.runAs?.user !== undefined ? { user: spec.runAs.user } : {}),
    ...(spec.runAs?.group !== undefined ? { group: spec.runAs.group } : {}),
    envKeys: Object.keys(spec.env).sort(),
    ...(spec.envFile !== undefined ? { envFile: spec.envFile } : {}),
    logFiles: [...new Set(logFiles)],
    lastLines,
    ...(spec.kind === 'service'
      ? { restart: { policy: spec.restart, maxRestarts: spec.maxRestarts, windowMs: spec.restartWindowMs, startRetries: spec.startRetries } }
      : { retries: spec.retries }),
  };
}
