import type { HostSettings } from '../shared/types.js';

/**
 * A feature configured by `<home>/jobctl.yaml` (DESIGN.md "Host settings"): applied at start
 * and on every valid change of the file, closed at shutdown.
 */
export interface HostService {
  readonly name: string;
  apply(settings: HostSettings): Promise<void>;
  info?(): unknown;
  close(): Promise<void>;
}
