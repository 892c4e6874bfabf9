import { formatDuration } from '../../shared/format.js';
import type { InstanceInfo, TaskStatus } from '../../shared/protocol.js';

/** How a process ended: `exited with code 1`, `killed by SIGKILL`. */
function exitText(e: NonNullable<InstanceInfo['lastExit']>): string {
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code ?? '?'}`;
}

/** What the instance does next, after an exit. */
function after(i: InstanceInfo): string {
  if (i.state === 'fatal') return `; fatal${i.message ? `: ${i.message}` : ''}`;
  if (i.state === 'backoff') return i.retryAt !== undefined ? '; restarting after backoff' : '; restarting';
  if (i.state === 'starting' || i.state === 'running') return '; restarted';
  return '';
}

/**
 * Task events seen between two status snapshots of the same task: a service instance that
 * exited (and what followed: restart, fatal), a restart whose exit was not seen, a task
 * that went fatal, a cron run that finished (with its result and duration) or started.
 * Pure: `top` diffs each status result against the previous one.
 */
export function taskEvents(prev: TaskStatus | undefined, cur: TaskStatus): string[] {
  if (!prev) return [];
  const out: string[] = [];
  if (cur.kind === 'service') {
    const before = new Map((prev.instances ?? []).map((i) => [i.index, i]));
    for (const i of cur.instances ?? []) {
      const p = before.get(i.index);
      const who = `${cur.name}#${i.index}`;
      if (i.lastExit && i.lastExit.at !== p?.lastExit?.at) out.push(`${who} ${exitText(i.lastExit)}${after(i)}`);
      else if (p && i.state === 'fatal' && p.state !== 'fatal') out.push(`${who} fatal${i.message ? `: ${i.message}` : ''}`);
      else if (p && i.restarts > p.restarts) out.push(`${who} restarted (${i.restarts} restart${i.restarts === 1 ? '' : 's'})`);
    }
    if (cur.state === 'fatal' && prev.state !== 'fatal' && !out.some((l) => l.includes('fatal'))) out.push(`${cur.name} fatal`);
  } else {
    const r = cur.lastRun;
    const p = prev.lastRun;
    if (r && (r.id !== p?.id || r.state !== p.state || r.attempt !== p.attempt) && r.state !== 'running' && r.state !== 'queued') {
      const took = r.startedAt !== undefined && r.endedAt !== undefined ? ` in ${formatDuration(r.endedAt - r.startedAt)}` : '';
      const code = r.state === 'failed' && r.exitCode !== undefined && r.exitCode !== null ? ` (exit ${r.exitCode})` : r.signal && r.state !== 'succeeded' ? ` (${r.signal})` : '';
      out.push(`${cur.name} run ${r.state}${code}${took}${r.attempt > 1 ? `, attempt ${r.attempt}` : ''}${r.state !== 'succeeded' && r.message ? ` — ${r.message}` : ''}`);
    }
  }
  if (cur.enabled && prev.desired !== cur.desired) out.push(`${cur.name} ${cur.desired === 'running' ? 'started' : 'stopped'} by request`);
  return out;
}
