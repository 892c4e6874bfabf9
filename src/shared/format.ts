/** Human formatting shared by the CLI and the TUI. Pure. */
import type { InstanceHealth, InstanceInfo } from './protocol.js';

/** `1h2m`, `3m4s`, `5s`, `250ms`: the two largest units. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const neg = ms < 0;
  let rest = Math.abs(Math.round(ms));
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return (neg ? '-' : '') + parts.join('');
}

/** `512B`, `1.5KB`, `12MB`, `1.1GB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)}${units[i]}`;
}

/** A wall-clock time in a zone with its UTC offset, `2026-03-29 03:00:00 +02:00`. */
export function formatInZone(date: Date, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZoneName: 'longOffset',
  }).formatToParts(date);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const offset = get('timeZoneName').replace(/^GMT/, '') || '+00:00';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${offset}`;
}

/** `healthy`, `unhealthy (3 failures)`, `starting`; for one instance's health check. */
export function instanceHealthText(h: InstanceHealth): string {
  return h.failures > 0 ? `${h.state} (${h.failures} failure${h.failures > 1 ? 's' : ''})` : h.state;
}

/** A task's health over its checked instances: `healthy`, `unhealthy`, `starting`, or `2/3 healthy`; undefined when none is checked. */
export function taskHealthText(instances: readonly InstanceInfo[] | undefined): string | undefined {
  const checked = (instances ?? []).filter((i) => i.health);
  if (checked.length === 0) return undefined;
  const healthy = checked.filter((i) => i.health!.state === 'healthy').length;
  if (healthy === checked.length) return 'healthy';
  if (checked.some((i) => i.health!.state === 'unhealthy')) return healthy ? `${healthy}/${checked.length} healthy` : 'unhealthy';
  return healthy ? `${healthy}/${checked.length} healthy` : 'starting';
}

/** The last probe in one line: `HTTP 503 Service Unavailable (12ms, 3s ago)`. */
export function lastProbeText(h: InstanceHealth, now: number): string | undefined {
  const p = h.lastProbe;
  if (!p) return undefined;
  const first = p.output.split('\n').find((l) => l.trim() !== '') ?? (p.ok ? 'ok' : 'failed');
  return `${first} (${formatDuration(p.durationMs)}, ${formatDuration(Math.max(0, now - p.at))} ago)`;
}
