import type { HostSettings } from '../shared/types.js';

/**
 * A feature of the daemon configured by `<home>/jobctl.yaml` rather than by a task
 * (metrics, the xxl-job executor, the fleet lock). The daemon applies the settings at start
 * and after every valid change of the file (the last good settings stay while it is
 * invalid), and closes every service at shutdown. A service must not throw out of apply()
 * for a problem of its own (an address in use, an unreachable peer): it logs and reports
 * it through info(), and the daemon keeps running.
 */
export interface HostService {
  readonly name: string;
  /** Take the new settings (the first call starts the service; a section removed stops it). */
  apply(settings: HostSettings): Promise<void>;
  /** What `jobctl status` shows of the service, JSON-safe; undefined when it is off. */
  info?(): unknown;
  /** Stop and release everything. Safe to call twice. */
  close(): Promise<void>;
}
