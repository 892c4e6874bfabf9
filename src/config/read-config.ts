import { loadHostSettings, type HostSettingsResult } from './host-settings.js';
import { loadTaskDir } from './load.js';
import type { ConfigSet } from '../shared/types.js';

/** What one read of the configuration is asked: the task directory, and where jobctl.yaml is. */
export interface ConfigReadJob {
  /** The directory read as tasks/ (tasks/ itself, or a `plan --rev`/`--dir` source). */
  from: string;
  /** How the directory is named in messages (`tasks`). */
  displayDir: string;
  /** Where jobctl.yaml is read; absent: no host settings. */
  home?: string;
  /** Notifier names of the host settings in force, valid in `notify.to` while jobctl.yaml is invalid. */
  notifiersInForce: string[];
}

/** The files as they are: plain data (structured-clone safe), so it can come back from another process. */
export interface ConfigRead {
  set: ConfigSet;
  host?: HostSettingsResult;
}

/**
 * One read of jobctl.yaml and the task directory: yaml parse, the zod pipeline, normalize,
 * validators. The daemon runs it in a short-lived child (config/config-child.ts) so that zod,
 * yaml and the pipeline never stay resident in it.
 */
export function readConfig(job: ConfigReadJob): ConfigRead {
  const host = job.home !== undefined ? loadHostSettings(job.home) : undefined;
  const notifiers = host && !host.errors.length ? host.settings.notifiers.map((n) => n.name) : job.notifiersInForce;
  const set = loadTaskDir(job.from, job.displayDir, { notifiers });
  return { set, ...(host ? { host } : {}) };
}
