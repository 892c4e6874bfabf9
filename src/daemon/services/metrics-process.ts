import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The standard figures of the daemon process, under the names every exporter and ready-made
 * dashboard uses: `process_cpu_seconds_total`, `process_resident_memory_bytes`,
 * `process_start_time_seconds`, `process_open_fds`, `process_max_fds`… (the Prometheus client
 * guidelines, https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics) and
 * `nodejs_*` (event-loop delay, heap, GC, version), from prom-client's default collector.
 *
 * Left out: `nodejs_active_handles`, `_requests`, `_resources` and their `_total` gauges. Each
 * scrape they list every libuv handle of the daemon (`process._getActiveHandles()`, several per
 * child process), a cost that grows with the number of processes supervised, and their
 * `_total` gauges fail `promtool check metrics` ("non-counter metrics should not have _total
 * suffix").
 */
const LEFT_OUT: ReadonlySet<string> = new Set([
  'nodejs_active_handles', 'nodejs_active_handles_total',
  'nodejs_active_requests', 'nodejs_active_requests_total',
  'nodejs_active_resources', 'nodejs_active_resources_total',
]);

/** Register the standard process and Node.js metrics into `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  const all = new Registry();
  collectDefaultMetrics({ register: all });
  for (const { name } of all.getMetricsAsArray()) {
    const metric = all.getSingleMetric(name);
    if (metric && !LEFT_OUT.has(name)) registry.registerMetric(metric);
  }
}
