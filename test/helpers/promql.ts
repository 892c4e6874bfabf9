import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.js';

/** What ships in deploy/ for Prometheus and Grafana (docs/metrics.md). */
export const RULES_FILE = path.join(ROOT, 'deploy/prometheus/jobctl-rules.yml');
export const DASHBOARD_FILE = path.join(ROOT, 'deploy/grafana/jobctl-dashboard.json');

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; query: string | { query: string } }> };
}

/**
 * Every PromQL expression of the dashboard (panels and template variables), with Grafana's
 * variables replaced as Grafana does before it sends a query: `$job`, `$host` (".*" for All),
 * `$__rate_interval`.
 */
export function dashboardExpressions(job = 'jobctl'): Array<{ where: string; expr: string }> {
  const d = JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
  const out: Array<{ where: string; expr: string }> = [];
  for (const p of d.panels) for (const t of p.targets) out.push({ where: `panel "${p.title}"`, expr: t.expr });
  for (const v of d.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    // label_values(METRIC_SELECTOR, label) is Grafana's, not PromQL: its selector is the query.
    const m = /^label_values\((.*),\s*\w+\)$/.exec(q);
    if (m) out.push({ where: `variable ${v.name}`, expr: m[1]! });
  }
  return out.map(({ where, expr }) => ({
    where,
    expr: expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', job).replaceAll('$host', '.*'),
  }));
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads (not functions, labels, keywords or strings). */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\[[^\]]*\]/g, ''); // ranges
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = bare.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

/** The sample names a text-format scrape holds (histograms' _bucket/_sum/_count included). */
export function sampleNames(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}
