import type { PlanResult } from '../../shared/protocol.js';
import { configErrorHeadline } from '../../shared/config-errors.js';
import { formatIssue } from './issues.js';
import { painter } from '../output.js';

const EFFECT_TEXT: Record<string, string> = {
  restart: 'restart', 'rolling restart': 'rolling restart', replace: 'stop and start anew',
  rescale: 'rescale, processes started or stopped to the new count',
  'in place': 'applied in place, processes kept', stop: 'stop (disabled)', start: 'start (enabled)',
};

/** `+ added (start)`, `- removed (stop and remove)`, `~ changed (restart: keys)` lines, then the config errors. */
export function renderPlan(plan: PlanResult, color: boolean, verb: { nothing: string }): string[] {
  const paint = painter(color);
  const lines: string[] = [];
  if (plan.source) lines.push(paint('dim', `plan of ${plan.source} against what runs:`));
  const before = lines.length;
  for (const n of plan.added) lines.push(paint('green', `+ ${n}  (start)`));
  for (const n of plan.removed) lines.push(paint('red', `- ${n}  (stop and remove)`));
  for (const c of plan.changed) lines.push(paint('yellow', `~ ${c.name}  (${c.effect ? `${EFFECT_TEXT[c.effect] ?? c.effect}: ` : ''}${c.keys.join(', ')})`));
  if (lines.length === before) lines.push(verb.nothing);
  if (plan.unchanged) lines.push(paint('dim', `${plan.unchanged} unchanged`));
  for (const t of plan.elsewhere ?? []) lines.push(paint('dim', `· ${t.name}  (not for this host: hosts ${t.hosts.join(', ')})`));
  if (plan.errors.length) {
    lines.push(paint('red', `${configErrorHeadline(plan.errors, plan.keptFiles)}:`));
    for (const e of plan.errors) lines.push(`  ${formatIssue(e)}`);
  }
  return lines;
}
