import path from 'node:path';
import type { HostSettings } from '../shared/types.js';

/** `<home>/jobctl.yaml`: where the host settings live, and what they are when it is absent (no zod, no yaml). */
export const HOST_SETTINGS_FILE = 'jobctl.yaml';

export function emptyHostSettings(): HostSettings {
  return { labels: [], notifiers: [] };
}

export function hostSettingsPath(home: string): string {
  return path.join(home, HOST_SETTINGS_FILE);
}
