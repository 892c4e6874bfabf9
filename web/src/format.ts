import { formatBytes, formatDuration, taskHealthText } from '../../src/shared/format.js';
import type { InstanceInfo } from '../../src/shared/protocol.js';
import { hueOf } from '../../src/view/state-hue.js';
import { lastRunCell, procsText, upOrNextText, uptimeText } from '../../src/view/task-cells.js';
import type { WebTask } from '../../src/web/wire.js';

export { formatBytes, formatDuration, lastRunCell, procsText, taskHealthText, upOrNextText };

/** A state's colour (src/view/state-hue.ts, as the CLI and the TUI): one class per colour in style.css; dim is gray. */
export function stateClass(state: string): string {
  const hue = hueOf(state);
  return `c-${hue === undefined || hue === 'dim' ? 'gray' : hue}`;
}

/** A health text's colour, from the same table (healthy green, starting cyan, `2/3 healthy` yellow, unhealthy red). */
export function healthClass(text: string | undefined): string {
  if (!text) return '';
  return stateClass(text);
}

/** A task's health over its checked instances, or undefined without checks. */
export function healthOf(t: WebTask): string | undefined {
  return taskHealthText(t.instances);
}

export function uptime(i: InstanceInfo, now: number): string {
  return i.state === 'running' && i.startedAt !== undefined ? uptimeText(i.startedAt, now) : '-';
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
