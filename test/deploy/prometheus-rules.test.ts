import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { MetricsCollector } from '../../src/metrics/daemon/collector.js';
import type { TaskStatus } from '../../src/shared/protocol.js';
import type { RunRecord } from '../../src/shared/types.js';
import { DASHBOARD_FILE, RULES_FILE, dashboardExpressions, metricNamesIn, sampleNames } from '../helpers/promql.js';
import { tempDirs } from '../helpers/temp.js';
import { hasTool, needs } from '../helpers/tools.js';

/**
 * The alert rules and the Grafana dashboard in deploy/, checked with Debian's promtool:
 * `promtool check rules` (syntax, PromQL, templates) and `promtool test rules` on series written
 * here, one scenario per alert, each with a healthy neighbour that must stay silent. The unit-test
 * file format is upstream's: https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/
 */

const hasPromtool = hasTool('promtool');
const dirs = tempDirs('jobctl-promtool-');
afterAll(() => dirs.cleanup());

function promtool(args: string[]): { code: number; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** What a daemon with both kinds of task exports: every family has series. */
async function exportedNames(): Promise<Set<string>> {
  const now = Date.now();
  const tasks: TaskStatus[] = [
    { name: 'web', group: 'app', kind: 'service', enabled: true, file: '/x/app.yaml', state: 'running', desired: 'running', restarts: 0, running: 1,
      instances: [{ index: 0, state: 'running', since: now, pid: 1, startedAt: now - 1000, restarts: 0, rss: 1, cpu: 1, cpuSeconds: 1,
        health: { state: 'healthy', since: now, failures: 0 } }] },
    { name: 'report', group: 'app', kind: 'cron', enabled: true, file: '/x/app.yaml', state: 'scheduled', desired: 'running', restarts: 0, schedule: '* * * * *', nextRunAt: now + 1000,
      lastRun: { id: 'r1', task: 'report', scheduledAt: now - 2000, startedAt: now - 2000, endedAt: now - 1000, exitCode: 0, attempt: 1, trigger: 'schedule', state: 'succeeded' } },
  ];
  let emit: (r: RunRecord) => void = () => undefined;
  const c = new MetricsCollector({ tasks: () => tasks, configErrors: () => 0, startedAt: now, version: 't', onRun: (fn) => ((emit = fn), () => undefined) });
  emit(tasks[1]!.lastRun!);
  try {
    return new Set([...sampleNames(await c.metrics()), 'up']);
  } finally {
    c.close();
  }
}

const L = { job: 'jobctl', instance: 'web1:9464' };
const sel = (name: string, labels: Record<string, string>) => `${name}{${Object.entries({ ...L, ...labels }).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
const series = (name: string, labels: Record<string, string>, values: string) => ({ series: sel(name, labels), values });

/** One scenario per alert: series where it fires, healthy neighbours, and what is expected. */
const SCENARIOS = [
  {
    alert: 'JobctlCronRunFailed',
    input: [
      series('jobctl_cron_last_run_success', { task: 'backup' }, '1 1 0 0 0'),
    ],
    healthy: [series('jobctl_cron_last_run_success', { task: 'report' }, '1x30')],
    eval: '4m',
    fires: [{ labels: { ...L, task: 'backup', severity: 'warning' }, annotations: {
      summary: 'cron task backup on web1:9464: its last run failed',
      description: 'See `jobctl history backup` and `jobctl logs backup --run last`.' } }],
  },
  {
    // backup runs every minute and fails (its last success stays at 60 s); report succeeds each minute.
    alert: 'JobctlCronNotSucceeding',
    input: [
      series('jobctl_cron_last_success_timestamp_seconds', { task: 'backup' }, '60+0x30'),
      series('jobctl_cron_last_run_timestamp_seconds', { task: 'backup' }, '0+60x30'),
      series('jobctl_cron_next_run_timestamp_seconds', { task: 'backup' }, '60+60x30'),
      series('jobctl_cron_interval_seconds', { task: 'backup' }, '60x30'),
    ],
    healthy: [
      series('jobctl_cron_last_success_timestamp_seconds', { task: 'report' }, '0+60x30'),
      series('jobctl_cron_last_run_timestamp_seconds', { task: 'report' }, '0+60x30'),
      series('jobctl_cron_next_run_timestamp_seconds', { task: 'report' }, '60+60x30'),
      series('jobctl_cron_interval_seconds', { task: 'report' }, '60x30'),
    ],
    eval: '20m',
    fires: [{ labels: { ...L, task: 'backup', severity: 'warning' }, annotations: {
      summary: 'cron task backup on web1:9464 has not succeeded for 19m 0s',
      description: 'Its runs fail, time out or are skipped. See `jobctl history backup`.' } }],
  },
  {
    // backup fires each minute and has never succeeded (no last-success series at all: its first
    // run hangs, or fails before any success was kept); digest has. The daemon started at 0.
    alert: 'JobctlCronNeverSucceeded',
    input: [
      series('process_start_time_seconds', {}, '0x40'),
      series('jobctl_cron_interval_seconds', { task: 'backup' }, '60x40'),
      series('jobctl_cron_next_run_timestamp_seconds', { task: 'backup' }, '60+60x40'),
    ],
    healthy: [
      series('process_start_time_seconds', { instance: 'web3:9464' }, '0x40'),
      series('jobctl_cron_interval_seconds', { instance: 'web3:9464', task: 'digest' }, '60x40'),
      series('jobctl_cron_last_success_timestamp_seconds', { instance: 'web3:9464', task: 'digest' }, '0+60x40'),
    ],
    eval: '12m',
    fires: [{ labels: { ...L, task: 'backup', severity: 'warning' }, annotations: {
      summary: 'cron task backup on web1:9464 has not succeeded once since the daemon started 12m 0s ago',
      description: 'Its runs fail, hang or are skipped. See `jobctl history backup` and `jobctl status backup`.' } }],
  },
  {
    alert: 'JobctlInstanceFatal',
    input: [
      series('jobctl_instance_state', { task: 'worker', process_num: '1', state: 'fatal' }, '0 0 1 1'),
    ],
    healthy: [series('jobctl_instance_state', { task: 'worker', process_num: '0', state: 'fatal' }, '0x30')],
    eval: '3m',
    fires: [{ labels: { ...L, task: 'worker', process_num: '1', state: 'fatal', severity: 'critical' }, annotations: {
      summary: 'worker/1 on web1:9464 is fatal: it restarted too often and stays down',
      description: 'See `jobctl logs worker --instance 1`, fix it, then `jobctl start worker`.' } }],
  },
  {
    alert: 'JobctlRestartsFlapping',
    input: [
      series('jobctl_instance_restarts_total', { task: 'worker', process_num: '0' }, '0+1x20'),
    ],
    healthy: [series('jobctl_instance_restarts_total', { task: 'worker', process_num: '1' }, '2+0x30')],
    eval: '16m',
    fires: [{ labels: { ...L, task: 'worker', process_num: '0', severity: 'warning' }, annotations: {
      summary: 'worker/0 on web1:9464 restarted 15 times in 15 minutes' } }],
  },
  {
    alert: 'JobctlInstanceUnhealthy',
    input: [
      series('jobctl_instance_health', { task: 'worker', process_num: '0', state: 'unhealthy' }, '0 1x10'),
    ],
    healthy: [series('jobctl_instance_health', { task: 'worker', process_num: '1', state: 'unhealthy' }, '0x30')],
    eval: '8m',
    fires: [{ labels: { ...L, task: 'worker', process_num: '0', state: 'unhealthy', severity: 'warning' }, annotations: {
      summary: 'worker/0 on web1:9464 fails its health check' } }],
  },
  {
    alert: 'JobctlConfigErrors',
    input: [
      series('jobctl_config_errors', {}, '0 0 2x10'),
    ],
    healthy: [series('jobctl_config_errors', { instance: 'web2:9464' }, '0x30')],
    eval: '6m',
    fires: [{ labels: { ...L, severity: 'warning' }, annotations: {
      summary: 'web1:9464: 2 problem(s) in the task files or jobctl.yaml; the last good config runs on',
      description: 'Run `jobctl validate` on that host.' } }],
  },
  {
    alert: 'JobctlDaemonDown',
    input: [
      series('up', {}, '1 1 0x5'),
    ],
    healthy: [series('up', { instance: 'web2:9464' }, '1x30')],
    eval: '5m',
    fires: [{ labels: { ...L, severity: 'critical' }, annotations: {
      summary: 'the jobctl daemon on web1:9464 does not answer scrapes',
      description: 'No task of that host is supervised or scheduled while it is down. `systemctl status jobctl` or `jobctl status` there.' } }],
  },
  {
    // Prometheus lost every jobctl target: no `up{job="jobctl"}` series at all.
    alert: 'JobctlDaemonAbsent',
    noTarget: true,
    input: [series('jobctl_config_errors', {}, '0x20')],
    healthy: [],
    eval: '12m',
    fires: [{ labels: { job: 'jobctl', severity: 'critical' }, annotations: {
      summary: 'Prometheus has no jobctl target to scrape (job="jobctl")',
      description: 'Check the scrape config or service discovery for job jobctl (docs/metrics.md "Prometheus metrics").' } }],
  },
];

/** A target that answers, in every scenario but the one without targets (JobctlDaemonAbsent would fire). */
const ANSWERING = series('up', { instance: 'web9:9464' }, '1x40');

/** The alert names of the shipped rules file. */
function shippedAlerts(): string[] {
  const doc = YAML.parse(fs.readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.alert!));
}

describe.skipIf(!hasPromtool)(`shipped Prometheus rules and Grafana dashboard${needs('promtool', 'prometheus')}`, () => {
  it('promtool check rules accepts the shipped rules', () => {
    const r = promtool(['check', 'rules', RULES_FILE]);
    expect(r.out).toContain(`SUCCESS: ${shippedAlerts().length} rules found`);
    expect(r.code).toBe(0);
  });

  it('promtool test rules: each alert fires on the series written for it and stays silent on a healthy one', () => {
    expect(SCENARIOS.map((s) => s.alert).sort()).toEqual(shippedAlerts().sort());
    const dir = dirs.dir();
    const tests = SCENARIOS.map((s) => ({
      interval: '1m',
      input_series: [...s.input, ...s.healthy, ...('noTarget' in s ? [] : [ANSWERING])],
      alert_rule_test: [
        // Every alert is silent at the start, and only this one fires at `eval` (promtool compares the whole set).
        ...shippedAlerts().map((alertname) => ({ eval_time: '0m', alertname, exp_alerts: [] })),
        ...shippedAlerts().map((alertname) => ({
          eval_time: s.eval, alertname,
          exp_alerts: alertname === s.alert ? s.fires.map((f) => ({ exp_labels: f.labels, exp_annotations: f.annotations })) : [],
        })),
      ],
    }));
    // All healthy for 30 minutes: nothing fires.
    tests.push({ interval: '1m', input_series: SCENARIOS.flatMap((s) => s.healthy), alert_rule_test: shippedAlerts().map((alertname) => ({ eval_time: '30m', alertname, exp_alerts: [] })) });
    const file = path.join(dir, 'jobctl-rules.test.yml');
    fs.writeFileSync(file, YAML.stringify({ rule_files: [RULES_FILE], evaluation_interval: '1m', tests }));
    const r = promtool(['test', 'rules', file]);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('JobctlCronNotSucceeding fires for a run that hangs while its later firings are skipped', () => {
    // backup runs each minute; its run of 2m hangs (no timeout), so every later firing is skipped
    // (overlap: skip): no run starts, last_run stays at 120 s while next_run moves on each minute.
    // An interval read as next_run - last_run grows as fast as the time since the success: never fires.
    const input = [
      series('jobctl_cron_last_success_timestamp_seconds', { task: 'backup' }, '60+0x40'),
      series('jobctl_cron_last_run_timestamp_seconds', { task: 'backup' }, '120+0x40'),
      series('jobctl_cron_next_run_timestamp_seconds', { task: 'backup' }, '60+60x40'),
      series('jobctl_cron_running_runs', { task: 'backup' }, '0 0 1+0x38'),
      series('jobctl_cron_interval_seconds', { task: 'backup' }, '60x40'),
    ];
    const file = path.join(dirs.dir(), 'hung-run.test.yml');
    fs.writeFileSync(file, YAML.stringify({ rule_files: [RULES_FILE], evaluation_interval: '1m', tests: [{
      interval: '1m', input_series: input,
      alert_rule_test: [{ eval_time: '30m', alertname: 'JobctlCronNotSucceeding', exp_alerts: [{
        exp_labels: { ...L, task: 'backup', severity: 'warning' },
        exp_annotations: {
          summary: 'cron task backup on web1:9464 has not succeeded for 29m 0s',
          description: 'Its runs fail, time out or are skipped. See `jobctl history backup`.' } }] }],
    }] }));
    const r = promtool(['test', 'rules', file]);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('the dashboard parses as PromQL and reads only metrics the daemon exports', async () => {
    const exprs = dashboardExpressions();
    expect(exprs.length).toBeGreaterThan(15);
    const exported = await exportedNames();
    for (const { where, expr } of exprs) {
      const names = metricNamesIn(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) expect(exported.has(n), `${where} reads ${n}, which the daemon does not export`).toBe(true);
    }
    // promtool parses every expression (as a recording rule: check rules runs the PromQL parser).
    const file = path.join(dirs.dir(), 'dashboard-exprs.yml');
    fs.writeFileSync(file, YAML.stringify({ groups: [{ name: 'dashboard', rules: exprs.map((e, i) => ({ record: `dashboard:expr_${i}`, expr: e.expr })) }] }));
    const r = promtool(['check', 'rules', file]);
    expect(r.out).toContain(`SUCCESS: ${exprs.length} rules found`);
    // The alert rules read exported metrics too.
    const rules = YAML.parse(fs.readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    for (const rule of rules.groups[0]!.rules) for (const n of metricNamesIn(rule.expr)) expect(exported.has(n), `${rule.alert} reads ${n}`).toBe(true);
    expect(JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8')).uid).toBe('jobctl');
  });

  it('metricNamesIn finds metric names, not functions, labels or keywords', () => {
    expect(metricNamesIn('histogram_quantile(0.9, sum by (le, task) (rate(jobctl_cron_run_duration_seconds_bucket{job="x", state=~"a|b"}[1m])))')).toEqual(['jobctl_cron_run_duration_seconds_bucket']);
    expect(metricNamesIn('time() - a_b{x="y"} > 2 * clamp_min(c - d, 150) or vector(0)')).toEqual(['a_b', 'c', 'd']);
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool, version 2\./);
  });
});
