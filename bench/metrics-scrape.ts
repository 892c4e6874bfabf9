/**
 * What one /metrics scrape costs the daemon: the collection (prom-client registry -> text) for
 * 100 service tasks of 10 instances and 100 cron tasks, measured in-process, 500 scrapes after 50
 * to warm up. Issue 29 added the standard process_* and nodejs_* figures; this holds them to
 * "no dearer than before".
 *
 *   npx tsx bench/metrics-scrape.ts
 */
import { Registry } from 'prom-client';
import { MetricsCollector } from '../src/metrics/daemon/collector.js';
import { registerProcessMetrics } from '../src/metrics/daemon/process-metrics.js';
import type { TaskStatus } from '../src/shared/protocol.js';

const now = Date.now();
const tasks: TaskStatus[] = [];
for (let t = 0; t < 100; t++) {
  tasks.push({
    name: `worker-${t}`, group: 'bench', kind: 'service', enabled: true, file: '/x/bench.yaml', state: 'running', desired: 'running', restarts: 1, running: 10,
    instances: Array.from({ length: 10 }, (_, index) => ({ index, state: 'running' as const, since: now - 5000, pid: 1000 + index, startedAt: now - 60_000, restarts: 0, rss: 12_345_678, cpu: 0.5, cpuSeconds: 3.25 })),
  });
  tasks.push({
    name: `cron-${t}`, group: 'bench', kind: 'cron', enabled: true, file: '/x/bench.yaml', state: 'scheduled', desired: 'running', restarts: 0, schedule: '* * * * *', nextRunAt: now + 30_000,
    lastRun: { id: `r${t}`, task: `cron-${t}`, scheduledAt: now - 10_000, startedAt: now - 9_990, endedAt: now - 7_990, exitCode: 0, attempt: 1, trigger: 'schedule', state: 'succeeded' },
  });
}
/** Median and p90 of 500 collections after 50 to warm up, ms; and the size of the text. */
async function measure(collect: () => Promise<string>): Promise<string> {
  for (let i = 0; i < 50; i++) await collect();
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    bytes = (await collect()).length;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.floor(p * (times.length - 1))]!.toFixed(3);
  return `median ${q(0.5)} ms, p90 ${q(0.9)} ms, ${bytes} bytes`;
}

const collector = new MetricsCollector({ tasks: () => tasks, configErrors: () => 0, startedAt: now, version: 'bench', onRun: () => () => undefined });
const processOnly = new Registry();
registerProcessMetrics(processOnly);
console.log(`node ${process.version}`);
console.log(`whole scrape (1,000 instances, 100 cron tasks): ${await measure(() => collector.metrics())}`);
console.log(`of which process_* and nodejs_* alone:          ${await measure(() => processOnly.metrics())}`);
collector.close();
