import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { cleanupDaemons, makeHome, startTestDaemon, taskStatus } from '../helpers/daemon.js';
import { freePort, waitForPort } from '../helpers/net.js';
import { RULES_FILE, dashboardExpressions } from '../helpers/promql.js';
import { tempDirs } from '../helpers/temp.js';
import { hasTool, needs } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A real Prometheus (Debian's) on 127.0.0.1 scrapes a real daemon with a cron task and a
 * 2-instance worker, with the shipped rules loaded; the test asks it through its HTTP API
 * (https://prometheus.io/docs/prometheus/latest/querying/api/). Issue 29: our `instance` label
 * clashed with the target label, so Prometheus renamed it `exported_instance`
 * (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#scrape_config,
 * honor_labels); the standard process_* metrics were missing.
 */

const hasPrometheus = hasTool('prometheus') && hasTool('promtool');
const dirs = tempDirs('jobctl-prometheus-');
let prometheus: ChildProcess | undefined;

afterEach(async () => {
  const p = prometheus;
  prometheus = undefined;
  if (p && p.exitCode === null && p.signalCode === null) {
    const exited = new Promise((r) => p.once('exit', r));
    process.kill(p.pid!, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (p.exitCode === null && p.signalCode === null) process.kill(p.pid!, 'SIGKILL');
  }
  expect(await cleanupDaemons()).toEqual([]);
  dirs.cleanup();
});

interface Sample { metric: Record<string, string>; value: [number, string] }

/** An instant query, at `at` (Unix seconds) when given. */
async function query(base: string, expr: string, at?: number): Promise<Sample[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}${at !== undefined ? `&time=${at}` : ''}`);
  const body = await res.json() as { status: string; error?: string; data: { resultType: string; result: Sample[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.resultType === 'vector' ? body.data.result : [];
}

const TASKS = `tasks:
  tick:
    schedule: "* * * * * *"
    command: "true"
  worker:
    command: exec sleep 1000
    instances: 2
    start_seconds: 100ms
`;

describe.skipIf(!hasPrometheus)(`a real Prometheus scrapes a real daemon${needs('prometheus')}`, () => {
  it('no exported_* label, process_resident_memory_bytes{job} present, PromQL counts the 2 running instances, promtool check metrics clean', async () => {
    const metricsPort = await freePort();
    const home = makeHome({ 'tasks/app.yaml': TASKS, 'jobctl.yaml': `metrics:\n  listen: "127.0.0.1:${metricsPort}"\n` });
    const d = await startTestDaemon(home);
    await waitFor(async () => (await taskStatus(d, 'worker')).instances?.filter((i) => i.state === 'running').length === 2
      && (await taskStatus(d, 'tick')).lastRun?.state === 'succeeded', 20_000, 'two workers running and a cron run');

    // promtool lints a real scrape (the exposition format's conventions: units, _total, HELP).
    const scrape = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8', timeout: 30_000 });
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
    expect(lint.status).toBe(0);

    const dir = dirs.dir();
    const webPort = await freePort();
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), YAML.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [RULES_FILE],
      scrape_configs: [{ job_name: 'jobctl', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] }],
    }));
    let log = '';
    prometheus = spawn('prometheus', [
      `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${webPort}`, '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    prometheus.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    await waitForPort(webPort, 30_000);
    const base = `http://127.0.0.1:${webPort}`;
    // Listening comes before the TSDB is open: /-/ready says when it answers queries.
    await waitFor(async () => (await fetch(`${base}/-/ready`)).status === 200, 30_000, `Prometheus ready (log: ${log})`);
    // Every query below is asked at one instant when the last scrape had succeeded: on a busy box
    // a later scrape may time out, and Prometheus then marks the series stale.
    let at = 0;
    await waitFor(async () => {
      const up = await query(base, 'up{job="jobctl"} == 1');
      if (up.length !== 1) return false;
      at = up[0]!.value[0];
      return (await query(base, 'jobctl_instance_state{job="jobctl",task="worker",state="running"} == 1', at)).length === 2;
    }, 30_000, `Prometheus scraped the daemon (log: ${log})`);

    // No series of the daemon has a label renamed because it clashed with a target label.
    // (The rules' own ALERTS series carry job="jobctl" too, e.g. JobctlDaemonAbsent pending before
    // the first scrape, with no instance: they are Prometheus's, not the daemon's.)
    const all = await query(base, '{job="jobctl",__name__!~"ALERTS|ALERTS_FOR_STATE"}', at);
    expect(all.length).toBeGreaterThan(50);
    expect(all.flatMap((s) => Object.keys(s.metric)).filter((k) => k.startsWith('exported_'))).toEqual([]);
    for (const s of all) expect(s.metric.instance).toBe(`127.0.0.1:${metricsPort}`);

    const rss = await query(base, 'process_resident_memory_bytes{job="jobctl"}', at);
    expect(rss).toHaveLength(1);
    expect(Number(rss[0]!.value[1])).toBeGreaterThan(10_000_000);
    for (const expr of ['process_cpu_seconds_total{job="jobctl"}', 'process_start_time_seconds{job="jobctl"}', 'process_open_fds{job="jobctl"}']) {
      expect(await query(base, expr, at), expr).toHaveLength(1);
    }

    const running = await query(base, 'count(jobctl_instance_state{job="jobctl",task="worker",state="running"} == 1)', at);
    expect(Number(running[0]!.value[1])).toBe(2);
    const byNum = await query(base, 'sum by (process_num) (jobctl_instance_state{job="jobctl",task="worker",state="running"})', at);
    expect(byNum.map((s) => s.metric.process_num).sort()).toEqual(['0', '1']);
    // The cron task's runs are there (a run going at the last scrape leaves the last finished one's figures).
    expect(await query(base, 'jobctl_cron_runs_total{job="jobctl",task="tick",outcome="succeeded"} > 0', at), 'succeeded tick runs').toHaveLength(1);

    // The shipped rules load and evaluate in a real Prometheus, and nothing fires on a healthy daemon.
    const shipped = (YAML.parse(fs.readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ rules: unknown[] }> }).groups.flatMap((g) => g.rules).length;
    await waitFor(async () => {
      const r = await (await fetch(`${base}/api/v1/rules`)).json() as { data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> } };
      const rules = r.data.groups.flatMap((g) => g.rules);
      return rules.length === shipped && rules.every((x) => x.health === 'ok');
    }, 20_000, 'every shipped rule evaluated, health ok');
    // JobctlDaemonAbsent is pending from an evaluation before the first scrape: it goes at the next one.
    const active = async () => ((await (await fetch(`${base}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string> }> } }).data.alerts.map((a) => a.labels.alertname);
    await waitFor(async () => (await active()).length === 0, 20_000, 'no alert active on a healthy daemon');
    expect(await active()).toEqual([]);

    // Every dashboard query runs in this Prometheus and finds data from this daemon.
    for (const { where, expr } of dashboardExpressions()) {
      const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = await r.json() as { status: string; error?: string };
      expect(body.status, `${where}: ${expr}: ${body.error ?? ''}`).toBe('success');
    }
  }, 90_000);
});
