import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One parsed family of the Prometheus text format (prom2json shape). */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

/** Parse with a real text-format parser; fails the test on malformed text. */
export function parseMetrics(text: string): Map<string, MetricFamily> {
  const families = parsePrometheusTextFormat(text) as MetricFamily[];
  return new Map(families.map((f) => [f.name, f]));
}

/** The value of one series, by its labels (a subset match); undefined when absent. */
export function sample(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  if (!m) return undefined;
  return Number(m.value ?? m.count);
}

/** The standard families of the daemon process (prom-client's default collector). */
export const STANDARD_PREFIXES = ['process_', 'nodejs_'];

/** Prometheus naming: prefix (ours, or a standard process family), counters end in _total, base units only. */
export function namingProblems(families: Map<string, MetricFamily>): string[] {
  const out: string[] = [];
  for (const f of families.values()) {
    if (!f.name.startsWith('jobctl_') && !STANDARD_PREFIXES.some((p) => f.name.startsWith(p))) out.push(`${f.name}: no jobctl_ prefix`);
    for (const label of ['job', 'instance']) if (f.metrics.some((m) => m.labels?.[label] !== undefined)) out.push(`${f.name}: a "${label}" label, which the scraper sets itself`);
    if (f.type === 'COUNTER' && !f.name.endsWith('_total')) out.push(`${f.name}: a counter without _total`);
    if (f.type !== 'COUNTER' && f.name.endsWith('_total')) out.push(`${f.name}: _total on a ${f.type}`);
    if (/_(ms|milliseconds|kb|mb|percent)(_|$)/.test(f.name)) out.push(`${f.name}: not a base unit`);
    if (!f.help) out.push(`${f.name}: no HELP`);
  }
  return out;
}
