import fs from 'node:fs';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

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
 *
 * `process_open_fds` is ours, under the same name and help: prom-client lists /proc/self/fd at
 * each scrape (an array of every fd, several per supervised process: ~5 ms at 2,000 fds, on the
 * event loop), where Linux 6.2 and later give the count as the size of that directory, one stat.
 * Older kernels report size 0, and the listing remains.
 */
const LEFT_OUT: ReadonlySet<string> = new Set([
  'nodejs_active_handles', 'nodejs_active_handles_total',
  'nodejs_active_requests', 'nodejs_active_requests_total',
  'nodejs_active_resources', 'nodejs_active_resources_total',
  'process_open_fds',
]);

/** Open file descriptors of this process: one stat on Linux >= 6.2, a listing before. */
export function openFds(): number | undefined {
  try {
    const size = fs.statSync('/proc/self/fd').size;
    if (size > 0) return size;
    // The listing opens one fd of its own, closed when it returns.
    return fs.readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/** Register the standard process and Node.js metrics into `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  const all = new Registry();
  collectDefaultMetrics({ register: all });
  for (const { name } of all.getMetricsAsArray()) {
    const metric = all.getSingleMetric(name);
    if (metric && !LEFT_OUT.has(name)) registry.registerMetric(metric);
  }
  if (process.platform === 'linux') {
    new Gauge({ name: 'process_open_fds', help: 'Number of open file descriptors.', registers: [registry],
      collect() {
        const n = openFds();
        if (n !== undefined) this.set(n);
      } });
  }
}
