import { formatBytes, formatDuration } from '../shared/format.js';

/** When a running instance should be recycled (graceful restart). Pure. */
export interface RecycleLimits {
  maxMemory?: number;
  maxLifetimeMs?: number;
}

export function recycleReason(limits: RecycleLimits, uptimeMs: number, rss: number | undefined): string | undefined {
  if (limits.maxLifetimeMs !== undefined && uptimeMs >= limits.maxLifetimeMs) {
    return `max_lifetime: up ${formatDuration(uptimeMs)} >= ${formatDuration(limits.maxLifetimeMs)}`;
  }
  if (limits.maxMemory !== undefined && rss !== undefined && rss > limits.maxMemory) {
    return `max_memory: ${formatBytes(rss)} > ${formatBytes(limits.maxMemory)}`;
  }
  return undefined;
}
