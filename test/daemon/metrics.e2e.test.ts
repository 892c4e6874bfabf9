import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusResult, TaskStatus } from '../../src/shared/protocol.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { namingProblems, parseMetrics, sample } from '../helpers/prometheus.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

/** `/metrics` of a real daemon, scraped over HTTP, parsed by a real text-format parser, checked against `jobctl status --json`. */

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});


const TASKS = `tasks:
  web:
    command: exec sleep 1000
    instances: 2
    start_seconds: 100ms
    health: {command: "true", interval: 200ms}
  flaky:
    command: exit 1
    backoff: {initial: 1s, max: 1s}
    max_restarts: 1000
    start_seconds: 100ms
  tick:
    schedule: "*/2 * * * * *"
    command: echo tick
  fail:
    schedule: "*/2 * * * * *"
    command: exit 2
`;

async function statusJson(home: string): Promise<StatusResult> {
  const r = await jobctl(['status', '--json'], { home });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as StatusResult;
}

describe('metrics end to end', () => {
  it('off by default: nothing listens', async () => {
    const port = await freePort();
    const home = makeHome({ 'tasks/a.yaml': TASKS });
    await startTestDaemon(home);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('serves /metrics from jobctl.yaml, values matching status --json, and follows edits of jobctl.yaml', async () => {
    const port = await freePort();
    const home = makeHome({ 'tasks/a.yaml': TASKS, 'jobctl.yaml': `metrics:\n  listen: "127.0.0.1:${port}"\n` });
    const d = await startTestDaemon(home);
    const url = `http://127.0.0.1:${port}/metrics`;
    await waitFor(async () => {
      const s = await statusJson(home);
      const byName = Object.fromEntries(s.tasks.map((t) => [t.name, t]));
      return byName.web!.instances!.every((i) => i.health?.state === 'healthy' && i.rss !== undefined)
        && (byName.flaky!.restarts >= 2) && byName.tick!.lastRun?.state === 'succeeded' && byName.fail!.lastRun?.state === 'failed';
    }, 20_000, 'healthy web, a restarting task, cron runs');

    // Scrape between two status reads, until nothing compared moved in between (the box is busy).
    // The reads go over the socket (what `jobctl status --json` prints), which is quick.
    const c = await d.client();
    let text = '';
    let status!: Record<string, TaskStatus>;
    await waitFor(async () => {
      const before = await c.call('status', {});
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      text = await res.text();
      const after = await c.call('status', {});
      const key = (s: StatusResult) => JSON.stringify(s.tasks.map((t) => [t.name, t.lastRun?.id, (t.instances ?? []).map((i) => [i.state, i.pid, i.restarts, i.rss, i.cpuSeconds, i.health?.state])]));
      if (key(before) !== key(after)) return false;
      status = Object.fromEntries(after.tasks.map((t) => [t.name, t]));
      return true;
    }, 20_000, 'a quiet moment to compare');

    c.close();
    const m = parseMetrics(text);
    expect(namingProblems(m)).toEqual([]);
    // The CLI's JSON is that same status.
    const cli = await statusJson(home);
    expect(cli.tasks.map((t) => t.name)).toEqual(Object.keys(status).sort());
    expect(cli.tasks.find((t) => t.name === 'web')!.instances!.map((i) => i.pid)).toEqual(status.web!.instances!.map((i) => i.pid));

    for (const t of Object.values(status)) expect(sample(m, 'jobctl_task_info', { task: t.name, group: 'a', kind: t.kind })).toBe(1);
    for (const t of [status.web!, status.flaky!]) {
      for (const i of t.instances!) {
        const labels = { task: t.name, process_num: String(i.index) };
        expect(sample(m, 'jobctl_instance_state', { ...labels, state: i.state }), `${t.name}/${i.index} ${i.state}`).toBe(1);
        expect(sample(m, 'jobctl_instance_restarts_total', labels)).toBe(i.restarts);
        if (i.rss !== undefined) expect(sample(m, 'jobctl_instance_resident_memory_bytes', labels)).toBe(i.rss);
        if (i.cpuSeconds !== undefined) expect(sample(m, 'jobctl_instance_cpu_seconds_total', labels)).toBe(i.cpuSeconds);
        if (i.state === 'running') {
          const uptime = sample(m, 'jobctl_instance_uptime_seconds', labels)!;
          expect(uptime).toBeGreaterThan(0);
          expect(Math.abs(uptime - (Date.now() - i.startedAt!) / 1000)).toBeLessThan(10);
        }
        if (i.health) expect(sample(m, 'jobctl_instance_health', { ...labels, state: i.health.state })).toBe(1);
      }
    }
    expect(status.web!.instances!.every((i) => i.rss! > 0)).toBe(true);
    expect(sample(m, 'jobctl_instance_restarts_total', { task: 'flaky', process_num: '0' })).toBeGreaterThanOrEqual(2);

    for (const name of ['tick', 'fail']) {
      const last = status[name]!.lastRun!;
      expect(sample(m, 'jobctl_cron_last_run_timestamp_seconds', { task: name })).toBe(last.startedAt! / 1000);
      expect(sample(m, 'jobctl_cron_last_run_duration_seconds', { task: name })).toBeCloseTo((last.endedAt! - last.startedAt!) / 1000, 6);
      expect(sample(m, 'jobctl_cron_next_run_timestamp_seconds', { task: name })).toBe(status[name]!.nextRunAt! / 1000);
    }
    expect(sample(m, 'jobctl_cron_runs_total', { task: 'tick', outcome: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'jobctl_cron_runs_total', { task: 'fail', outcome: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'jobctl_cron_last_success_timestamp_seconds', { task: 'tick' })).toBe(status.tick!.lastRun!.endedAt! / 1000);
    expect(sample(m, 'jobctl_cron_last_success_timestamp_seconds', { task: 'fail' })).toBeUndefined();
    expect(text).toMatch(/^jobctl_cron_start_lateness_seconds_count\{task="tick"\} [1-9]\d*$/m);
    expect(text).toMatch(/^jobctl_cron_run_duration_seconds_count\{task="fail"\} [1-9]\d*$/m);

    expect(sample(m, 'jobctl_config_errors')).toBe(0);
    expect(sample(m, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(sample(m, 'nodejs_eventloop_lag_mean_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(m, 'process_start_time_seconds')! * 1000).toBeLessThanOrEqual(Date.now());
    expect(sample(m, 'process_start_time_seconds')! * 1000).toBeGreaterThan(Date.now() - 120_000);

    // A config error shows in the metrics; the last good config runs on.
    fs.writeFileSync(path.join(home, 'tasks', 'bad.yaml'), 'tasks:\n  x:\n    comand: y\n');
    const errors = await waitFor(async () => (await statusJson(home)).daemon.configErrors.length, 10_000, 'config error seen');
    expect(errors).toBeGreaterThan(0);
    expect(sample(parseMetrics(await (await fetch(url)).text()), 'jobctl_config_errors')).toBe(errors);

    // Moving the address in jobctl.yaml moves the server; removing the section stops it.
    const port2 = await freePort();
    fs.writeFileSync(path.join(home, 'jobctl.yaml'), `metrics:\n  listen: "127.0.0.1:${port2}"\n`);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port2}/metrics`).then((r) => r.status).catch(() => 0)) === 200, 10_000, 'moved');
    await expect(fetch(url)).rejects.toThrow();
    fs.writeFileSync(path.join(home, 'jobctl.yaml'), 'labels: [web]\n');
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port2}/metrics`).then(() => 1).catch(() => 0)) === 0, 10_000, 'stopped');
    expect(d.output()).toMatch(/metrics: serving http:\/\/127\.0\.0\.1:\d+\/metrics/);
  });
});
