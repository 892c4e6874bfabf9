import { z } from 'zod';
import type { MetricsSettings } from '../../shared/types.js';
import { listenSchema, parseListen } from '../../config/host/listen.js';

/** `metrics:` in jobctl.yaml (DESIGN.md "Metrics"). */
export const metricsSchema = z.strictObject({
  listen: listenSchema.optional().meta({ description: 'where /metrics is served (default 127.0.0.1:9464)' }),
});
export type RawMetrics = z.infer<typeof metricsSchema>;

/** @default listen 127.0.0.1:9464 */
export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9464';

export function normalizeMetrics(raw: RawMetrics): MetricsSettings {
  const listen = raw.listen ?? DEFAULT_METRICS_LISTEN;
  const { host, port } = parseListen(listen)!;
  return { listen, host, port };
}
