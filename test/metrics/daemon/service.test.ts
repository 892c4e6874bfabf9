import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsService } from '../../../src/metrics/daemon/service.js';
import type { TaskStatus } from '../../../src/shared/protocol.js';
import type { HostSettings, RunRecord } from '../../../src/shared/types.js';
import { namingProblems, parseMetrics, sample } from '../../helpers/prometheus.js';

/** The metrics HostService on a real port, with task statuses handed in; parsed by a real text-format parser. */

const NOW = 1_700_000_100_000;
const tasks: TaskStatus[] = [
  {
    name: 'web', group: 'app', kind: 'service', enabled: true, file: '/x/app.yaml', state: 'running', desired: 'running', restarts: 3,
    running: 1,
    instances: [
      { index: 0, state: 'running', since: NOW - 5000, pid: 111, startedAt: NOW - 60_000, restarts: 2, rss: 1_048_576, cpu: 1.5, cpuSeconds: 12.5,
        health: { state: 'healthy', since: NOW - 50_000, failures: 0, lastProbe: { at: NOW - 1000, ok: true, output: 'HTTP 200 OK', durationMs: 3 } } },
      { index: 1, state: 'backoff', since: NOW - 1000, restarts: 1, retryAt: NOW + 1000 },
    ],
  },
  {
    name: 'report', group: 'app', kind: 'cron', enabled: true, file: '/x/app.yaml', state: 'scheduled', desired: 'running', restarts: 0,
    schedule: '0 * * * *', nextRunAt: NOW + 30_000,
    lastRun: { id: 'r2', task: 'report', scheduledAt: NOW - 10_000, startedAt: NOW - 9_990, endedAt: NOW - 7_990, exitCode: 0, attempt: 1, trigger: 'schedule', state: 'succeeded' },
  },
];

const listeners: Array<(r: RunRecord) => void> = [];
const logs: string[] = [];
const services: MetricsService[] = [];

function service(): MetricsService {
  const s = new MetricsService({
    source: {
      tasks: () => tasks, configErrors: () => 2, startedAt: NOW - 3_600_000, version: '9.9.9', now: () => NOW,
      onRun: (fn) => {
        listeners.push(fn);
        return () => listeners.splice(listeners.indexOf(fn), 1);
      },
    },
    log: { info: (m) => logs.push(`info ${m}`), error: (m) => logs.push(`error ${m}`) },
  });
  services.push(s);
  return s;
}

const settings = (listen?: { host: string; port: number }): HostSettings => ({
  labels: [], notifiers: [], ...(listen ? { metrics: { listen: `${listen.host}:${listen.port}`, ...listen } } : {}),
});

afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  logs.length = 0;
});

async function scrape(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('metrics service', () => {
  it('is off until metrics: is set, then serves parseable text with conventional names', async () => {
    const s = service();
    await s.apply(settings());
    expect(s.info()).toBeUndefined();
    await s.apply(settings({ host: '127.0.0.1', port: 0 }));
    const { url } = s.info() as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const run = (over: Partial<RunRecord>): RunRecord => ({ id: 'r1', task: 'report', scheduledAt: NOW - 100_000, attempt: 1, trigger: 'schedule', state: 'running', ...over });
    for (const fn of listeners) {
      fn(run({ state: 'running', startedAt: NOW - 99_500 }));
      fn(run({ state: 'failed', startedAt: NOW - 99_500, endedAt: NOW - 98_000, exitCode: 1 }));
      fn(run({ state: 'failed', startedAt: NOW - 99_500, endedAt: NOW - 98_000, exitCode: 1 })); // the same run again: counted once
      fn(run({ id: 'r2', state: 'succeeded', scheduledAt: NOW - 10_000, startedAt: NOW - 9_990, endedAt: NOW - 7_990 }));
    }

    const res = await scrape(url);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(res.text);
    expect(namingProblems(m)).toEqual([]);

    expect(sample(m, 'jobctl_build_info', { version: '9.9.9' })).toBe(1);
    expect(sample(m, 'jobctl_config_errors')).toBe(2);
    // The daemon itself: the standard process metrics (Prometheus client guidelines, "Process
    // metrics": https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics)
    // and prom-client's nodejs_* figures, instead of jobctl_daemon_* names no dashboard knows.
    expect(sample(m, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(sample(m, 'process_resident_memory_bytes')).toBeLessThan(2 * process.memoryUsage.rss());
    expect(m.get('process_cpu_seconds_total')!.type).toBe('COUNTER');
    expect(sample(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(Math.abs(sample(m, 'process_start_time_seconds')! - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    expect(sample(m, 'process_open_fds')).toBeGreaterThan(2);
    expect(sample(m, 'process_max_fds')).toBeGreaterThan(0);
    expect(sample(m, 'nodejs_version_info', { version: process.version })).toBe(1);
    expect(sample(m, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(m, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    for (const gone of ['jobctl_daemon_start_time_seconds', 'jobctl_daemon_resident_memory_bytes', 'jobctl_daemon_event_loop_lag_seconds']) expect(m.has(gone)).toBe(false);
    // Left out: they list every libuv handle per scrape, and promtool rejects a gauge named *_total.
    expect([...m.keys()].filter((n) => n.startsWith('nodejs_active_'))).toEqual([]);
    expect(sample(m, 'jobctl_task_info', { task: 'web', group: 'app', kind: 'service' })).toBe(1);

    expect(sample(m, 'jobctl_instance_state', { task: 'web', process_num: '0', state: 'running' })).toBe(1);
    expect(sample(m, 'jobctl_instance_state', { task: 'web', process_num: '0', state: 'backoff' })).toBe(0);
    expect(sample(m, 'jobctl_instance_state', { task: 'web', process_num: '1', state: 'backoff' })).toBe(1);
    expect(m.get('jobctl_instance_state')!.metrics.filter((x) => x.labels?.process_num === '0')).toHaveLength(7);
    expect(sample(m, 'jobctl_instance_restarts_total', { task: 'web', process_num: '0' })).toBe(2);
    expect(sample(m, 'jobctl_instance_uptime_seconds', { task: 'web', process_num: '0' })).toBe(60);
    expect(sample(m, 'jobctl_instance_uptime_seconds', { task: 'web', process_num: '1' })).toBe(0);
    expect(sample(m, 'jobctl_instance_cpu_seconds_total', { task: 'web', process_num: '0' })).toBe(12.5);
    expect(sample(m, 'jobctl_instance_resident_memory_bytes', { task: 'web', process_num: '0' })).toBe(1_048_576);
    expect(sample(m, 'jobctl_instance_resident_memory_bytes', { task: 'web', process_num: '1' })).toBeUndefined();
    expect(sample(m, 'jobctl_instance_health', { task: 'web', process_num: '0', state: 'healthy' })).toBe(1);
    expect(sample(m, 'jobctl_instance_health', { task: 'web', process_num: '0', state: 'unhealthy' })).toBe(0);

    expect(sample(m, 'jobctl_cron_runs_total', { task: 'report', outcome: 'failed' })).toBe(1);
    expect(sample(m, 'jobctl_cron_runs_total', { task: 'report', outcome: 'succeeded' })).toBe(1);
    expect(sample(m, 'jobctl_cron_last_success_timestamp_seconds', { task: 'report' })).toBe((NOW - 7_990) / 1000);
    expect(sample(m, 'jobctl_cron_last_run_duration_seconds', { task: 'report' })).toBe(2);
    expect(sample(m, 'jobctl_cron_next_run_timestamp_seconds', { task: 'report' })).toBe((NOW + 30_000) / 1000);
    // The parser merges labelled histograms into one series (a limitation of it): check the type
    // there and the per-task _count and _sum lines in the text.
    expect(m.get('jobctl_cron_run_duration_seconds')!.type).toBe('HISTOGRAM');
    expect(res.text).toContain('jobctl_cron_run_duration_seconds_count{task="report"} 2\n');
    expect(res.text).toContain('jobctl_cron_run_duration_seconds_sum{task="report"} 3.5\n');
    expect(res.text).toContain('jobctl_cron_run_duration_seconds_bucket{le="1",task="report"} 0\n');
    expect(res.text).toContain('jobctl_cron_run_duration_seconds_bucket{le="5",task="report"} 2\n');
    expect(res.text).toContain('jobctl_cron_start_lateness_seconds_count{task="report"} 2\n');
    const lateSum = /jobctl_cron_start_lateness_seconds_sum\{task="report"\} (\S+)/.exec(res.text)!;
    expect(Number(lateSum[1])).toBeCloseTo(0.51, 5);
  });

  it('one scrape reads the task statuses once; parallel scrapes share one collection (200 parallel scrapes took 24 s)', async () => {
    let calls = 0;
    const s = new MetricsService({
      source: { tasks: () => (calls++, tasks), configErrors: () => 0, startedAt: NOW, version: '9.9.9', now: () => NOW, onRun: () => () => undefined },
      log: { info: () => undefined, error: () => undefined },
    });
    services.push(s);
    await s.apply(settings({ host: '127.0.0.1', port: 0 }));
    const url = (s.info() as { url: string }).url;
    expect((await scrape(url)).status).toBe(200);
    expect(calls).toBe(1);
    calls = 0;
    const texts = await Promise.all(Array.from({ length: 50 }, () => scrape(url)));
    expect(texts.every((t) => t.status === 200 && t.text.includes('jobctl_task_info'))).toBe(true);
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(50);
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    const s = service();
    await s.apply(settings({ host: '127.0.0.1', port: 0 }));
    const url = (s.info() as { url: string }).url;
    expect((await fetch(url.replace('/metrics', '/nope'))).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  });

  it('an address in use is reported, the daemon goes on, and a new address works', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const s = service();
      await s.apply(settings({ host: '127.0.0.1', port }));
      expect(s.info()).toEqual({ error: `cannot listen on 127.0.0.1:${port}: the address is in use; change metrics.listen in jobctl.yaml` });
      expect(logs).toContain(`error metrics: cannot listen on 127.0.0.1:${port}: the address is in use; change metrics.listen in jobctl.yaml`);
      await s.apply(settings({ host: '127.0.0.1', port: 0 }));
      const { url } = s.info() as { url: string };
      expect((await scrape(url)).status).toBe(200);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('moves with a changed address, stops when metrics: is removed, and closes twice', async () => {
    const s = service();
    await s.apply(settings({ host: '127.0.0.1', port: 0 }));
    const first = (s.info() as { url: string }).url;
    await s.apply(settings({ host: '::1', port: 0 }));
    const second = (s.info() as { url: string }).url;
    expect(second).toMatch(/^http:\/\/\[::1\]:\d+\/metrics$/);
    await expect(fetch(first)).rejects.toThrow();
    expect((await scrape(second)).status).toBe(200);
    await s.apply(settings());
    expect(s.info()).toBeUndefined();
    await expect(fetch(second)).rejects.toThrow();
    await s.close();
    await s.close();
  });
});

describe('jobctl_cron_interval_seconds (the alert rules\' expected interval)', () => {
  it('is the schedule\'s interval at the next firing, read from the schedule alone', async () => {
    const { scheduleGap } = await import('../../../src/metrics/daemon/collector.js');
    const monday9 = Date.UTC(2026, 10, 30, 9); // Monday 30 Nov 2026, 09:00 UTC
    expect(scheduleGap({ schedule: '0 9 * * 1-5', timezone: 'UTC' }, monday9)).toBe(3 * 86_400_000);
    expect(scheduleGap({ schedule: '0 9 * * 1-5', timezone: 'UTC' }, monday9 + 86_400_000)).toBe(86_400_000);
    expect(scheduleGap({ schedule: '*/10 * * * * *' }, monday9 + 3_000)).toBe(10_000);
    // A next firing with jitter in it: the firing at or after it.
    expect(scheduleGap({ schedule: '0 * * * *', timezone: 'UTC' }, monday9 - 1_800_000)).toBe(3_600_000);
    expect(scheduleGap({ schedule: 'not a schedule' }, monday9)).toBeNull();
  });

  it('is exported per cron task with a next firing', async () => {
    const s = service();
    await s.apply(settings({ host: '127.0.0.1', port: 0 }));
    const { text } = await scrape(s.info()!.url!);
    expect(sample(parseMetrics(text), 'jobctl_cron_interval_seconds', { task: 'report' })).toBe(3600);
  });
});
