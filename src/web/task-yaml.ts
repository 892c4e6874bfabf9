import { stringify } from 'yaml';
import { formatDuration } from '../shared/format.js';
import type { TaskStatus } from '../shared/protocol.js';

/**
 * The task as the daemon loaded it, in the task file's own words, from what `status TASK`
 * returns (the protocol sends the spec's effective values, not the file: comments and unset
 * keys are not there). `env` shows names only: values never leave the host.
 */
export function taskYaml(t: TaskStatus): string {
  const d = t.details;
  const spec: Record<string, unknown> = {};
  if (t.description) spec.description = t.description;
  if (!t.enabled) spec.enabled = false;
  if (d) spec.command = d.command;
  if (t.schedule) spec.schedule = t.schedule;
  if (t.timezone) spec.timezone = t.timezone;
  if (d?.cwd) spec.cwd = d.cwd;
  if (d?.user) spec.user = d.user;
  if (d?.group) spec.group = d.group;
  if (d?.envKeys.length) spec.env = Object.fromEntries(d.envKeys.map((k) => [k, '(set)']));
  if (d?.envFile) spec.env_file = d.envFile;
  if (t.kind === 'service') {
    spec.instances = t.scale ? t.scale.current : t.instances?.length ?? 0;
    if (t.scale) spec.scale = { min: t.scale.min, max: t.scale.max };
  }
  if (d?.restart) {
    spec.restart = d.restart.policy;
    spec.max_restarts = d.restart.maxRestarts;
    spec.restart_window = formatDuration(d.restart.windowMs);
  }
  if (d?.retries !== undefined) spec.retries = d.retries;
  const doc = stringify({ tasks: { [t.name]: spec } }, { lineWidth: 0 });
  return `# ${t.file} (group ${t.group}): as loaded by the daemon\n${doc}`;
}
