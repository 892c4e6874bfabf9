import { formatBytes, formatDuration, taskHealthText } from '../../src/shared/format.js';
import type { InstanceInfo } from '../../src/shared/protocol.js';
import { STATE_COLOR, procsCell, runCell, timeCell } from '../../src/tui/format.js';
import type { WebTask } from '../../src/web/wire.js';

export { formatBytes, formatDuration, procsCell, runCell, taskHealthText, timeCell };

/** The TUI's colour of a state (green, red, …): one class per colour in style.css. */
export function stateClass(state: string): string {
  return `c-${STATE_COLOR[state] ?? 'gray'}`;
}

export function healthClass(text: string | undefined): string {
  if (!text) return '';
  return text === 'healthy' ? 'c-green' : text === 'unhealthy' ? 'c-red' : 'c-yellow';
}

/** A task's health over its checked instances, or undefined without checks. */
export function healthOf(t: WebTask): string | undefined {
  return taskHealthText(t.instances);
}

export function uptime(i: InstanceInfo, now: number): string {
  return i.state === 'running' && i.startedAt !== undefined ? formatDuration(now - i.startedAt) : '-';
}

export function clock(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function cpu(v: number | undefined): string {
  return v === undefined ? '-' : `${v}%`;
}

export function mem(v: number | undefined): string {
  return v === undefined ? '-' : formatBytes(v);
}
