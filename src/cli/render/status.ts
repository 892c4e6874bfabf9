import { formatBytes, formatDuration, formatInZone, instanceHealthText, lastProbeText, taskHealthText } from '../../shared/format.js';
import type { InstanceInfo, StatusResult, TaskDetails, TaskStatus, XxlJobStatus } from '../../shared/protocol.js';
import { configErrorHeadline } from '../../shared/config-errors.js';
import { formatIssue } from './issues.js';
import { painter, table, type Style } from '../output.js';
import { hueOf } from '../../view/state-hue.js';
import { agoText, inText, cpuText, lastRunText, memText, procsWithScaleText, upOrNextText, uptimeText } from '../../view/task-cells.js';

/** A state word painted in its hue (src/view/state-hue.ts), or `otherwise` when it has none. */
export function paintState(paint: (style: Style, text: string) => string, word: string, otherwise: Style = 'bold'): string {
  return paint(hueOf(word) ?? otherwise, word);
}

/** The status table; a HOST column first when the tasks come from a fleet. */
export function statusTable(tasks: TaskStatus[], color: boolean, now = Date.now()): string {
  const paint = painter(color);
  const hosts = tasks.some((t) => t.host !== undefined);
  // The HEALTH column shows only when some task has a health check.
  const withHealth = tasks.some((t) => taskHealthText(t.instances) !== undefined);
  const head = [...(hosts ? ['HOST'] : []), 'TASK', 'GROUP', 'KIND', 'STATE', ...(withHealth ? ['HEALTH'] : []), 'PROCS', 'UPTIME/NEXT', 'LAST RUN', 'RESTARTS', 'CPU', 'MEM'];
  const rows = [head.map((h) => paint('bold', h))];
  for (const t of tasks) {
    const health = taskHealthText(t.instances);
    rows.push([
      ...(hosts ? [t.host ?? '-'] : []), t.name, t.group, t.kind, paintState(paint, t.state),
      ...(withHealth ? [health ? paintState(paint, health, 'yellow') : '-'] : []),
      procsWithScaleText(t), upOrNextText(t, now),
      t.kind === 'cron' ? lastRunText(t.lastRun, now) : '-', String(t.restarts),
      cpuText(t), memText(t),
    ]);
  }
  return table(rows);
}

function instanceLine(i: InstanceInfo, color: boolean, now: number): string {
  const paint = painter(color);
  const parts = [`#${i.index}`, paintState(paint, i.state)];
  if (i.pid !== undefined) parts.push(`pid ${i.pid}`);
  if (i.state === 'running' && i.startedAt !== undefined) parts.push(`up ${uptimeText(i.startedAt, now)}`);
  if (i.retryAt !== undefined) parts.push(`retry ${inText(i.retryAt, now)}`);
  parts.push(`restarts ${i.restarts}`);
  if (i.cpu !== undefined) parts.push(`cpu ${i.cpu}%`);
  if (i.rss !== undefined) parts.push(`mem ${formatBytes(i.rss)}`);
  if (i.health) parts.push(paint(hueOf(i.health.state) ?? 'yellow', instanceHealthText(i.health)));
  if (i.message) parts.push(paint('dim', `— ${i.message}`));
  if (i.lastExit?.oom && !i.message?.startsWith('OOM-killed')) parts.push(paint('red', 'last exit: OOM-killed (limits.memory)'));
  const probe = i.health ? lastProbeText(i.health, now) : undefined;
  return `  ${parts.join('  ')}${probe ? `\n      last probe: ${probe}` : ''}`;
}

/** `instance 2 of 4`, `done: 4 of 4 in 12s`, `failed at instance 1: …`. */
export function rollingText(r: NonNullable<TaskStatus['rolling']>): string {
  if (r.state === 'running') return r.instance !== undefined ? `replacing instance ${r.instance} (${r.done} of ${r.total} done)` : `${r.done} of ${r.total} done`;
  const took = r.endedAt !== undefined ? ` in ${formatDuration(r.endedAt - r.startedAt)}` : '';
  if (r.state === 'done') return `done: ${r.done} of ${r.total}${took}`;
  return `stopped at instance ${r.instance ?? '?'} after ${r.done} of ${r.total}${r.message ? `: ${r.message}` : ''}`;
}

/** How a process ended: `exited with code 1`, `killed by SIGKILL`. */
function exitText(e: { code: number | null; signal: string | null }): string {
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code ?? '?'}`;
}

/** The fatal rule beside the restart count: the one that fired when an instance gave up, else the restart window. */
export function fatalRuleText(r: NonNullable<TaskDetails['restart']>, instances: InstanceInfo[]): string {
  const gaveUp = instances.filter((i) => i.state === 'fatal').map((i) => i.message ?? '');
  const window = `more than ${r.maxRestarts} within ${formatDuration(r.windowMs)} -> fatal`;
  const starts = `more than ${r.startRetries ?? '?'} failed starts in a row (start_retries) -> fatal`;
  if (gaveUp.some((m) => m.includes('(start_retries '))) return `gave up: ${starts}`;
  if (gaveUp.some((m) => m.includes('(max_restarts '))) return `gave up: ${window}`;
  return window;
}

/** Details under the table when one task is shown (what `pm2 describe` shows). */
export function taskDetails(t: TaskStatus, color: boolean, now = Date.now()): string[] {
  const paint = painter(color);
  const d = t.details;
  const lines: string[] = [];
  if (t.description) lines.push(`  ${t.description}`);
  lines.push(`  file: ${t.file}`);
  if (t.waiting) lines.push(`  ${paint('yellow', t.waiting)}`);
  if (t.rolling) lines.push(`  rolling restart: ${rollingText(t.rolling)}`);
  if (d) {
    lines.push(`  command: ${Array.isArray(d.command) ? JSON.stringify(d.command) : d.command}`);
    lines.push(`  cwd: ${d.cwd}`);
    if (d.user !== undefined || d.group !== undefined) lines.push(`  run as: ${d.user ?? '(daemon\'s user)'}${d.group !== undefined ? `:${d.group}` : ''}`);
    if (d.envKeys.length || d.envFile) lines.push(`  env: ${d.envKeys.join(', ') || '-'}${d.envFile ? ` + ${d.envFile}` : ''} ${paint('dim', '(values not shown)')}`);
    if (d.logFiles.length) lines.push(`  logs: ${d.logFiles.join(', ')}`);
  }
  if (t.kind === 'service') {
    const r = d?.restart;
    lines.push(`  restarts: ${t.restarts}${r ? ` (restart: ${r.policy}; ${fatalRuleText(r, t.instances ?? [])})` : ''}`);
    for (const i of t.instances ?? []) lines.push(instanceLine(i, color, now));
    const last = (t.instances ?? []).filter((i) => i.lastExit).sort((a, b) => b.lastExit!.at - a.lastExit!.at)[0];
    if (last) lines.push(`  last exit: #${last.index} ${exitText(last.lastExit!)} ${agoText(last.lastExit!.at, now)}`);
    if (t.scale?.error) lines.push(`  scale probe: ${t.scale.error}`);
  } else {
    const next = t.nextRunAt !== undefined ? `; next ${formatInZone(new Date(t.nextRunAt), t.timezone)} (${inText(t.nextRunAt, now)})` : '';
    if (t.schedule !== undefined) lines.push(`  schedule: ${t.schedule}${t.timezone ? ` (${t.timezone})` : ''}${next}`);
    if (t.xxljobHandler !== undefined) lines.push(`  xxl-job handler: ${t.xxljobHandler}${t.schedule === undefined ? ' (runs when the admin triggers it)' : ''}`);
    lines.push(`  retries: ${t.restarts} retry run${t.restarts === 1 ? '' : 's'} in the kept history${d?.retries !== undefined ? ` (retries: ${d.retries} per failed run)` : ''}`);
    for (const r of t.activeRuns ?? []) lines.push(`  running: ${r.id} since ${agoText(r.startedAt, now)}`);
    if (t.lastRun) lines.push(`  last run: ${t.lastRun.id} ${lastRunText(t.lastRun, now)}${t.lastRun.message ? ` — ${t.lastRun.message}` : ''}`);
    else lines.push('  last run: none yet');
  }
  if (d?.lastLines.length) {
    lines.push(`  last lines${t.kind === 'cron' ? ' of the last run' : ''}:`);
    for (const l of d.lastLines) lines.push(`    ${l}`);
  }
  return lines;
}

/** One line on executor mode: registered or why not, and callbacks still waiting. */
export function xxljobLine(x: XxlJobStatus, color: boolean, now = Date.now()): string {
  const paint = painter(color);
  const where = `${x.listen ? `listening on ${x.listen}` : 'not listening'}, wire v${x.version ?? 2}`;
  const head = x.registered
    ? `${paint('green', 'registered')} as ${x.address} (${agoText(x.lastRegisteredAt, now)})`
    : paint('red', 'not registered');
  const parts = [`xxl-job executor "${x.appname ?? '?'}": ${head}, ${where}`];
  if (x.activeRuns) parts.push(`${x.activeRuns} run(s) from the admin under way`);
  if (x.pendingCallbacks) parts.push(paint('yellow', `${x.pendingCallbacks} callback(s) waiting for the admin`));
  let line = parts.join('; ');
  if (x.lastError) line += `\n  ${paint('red', 'last error')} ${agoText(x.lastErrorAt, now)}: ${x.lastError}`;
  return line;
}

/** `home /srv/jobs (from --home) · daemon pid 42, up 3m · 4 tasks`: which home this is. */
export function statusHeader(s: StatusResult, homeText: string, color: boolean, now = Date.now()): string {
  const paint = painter(color);
  return paint('dim', `home ${homeText} · daemon pid ${s.daemon.pid}, up ${uptimeText(s.daemon.startedAt, now)} · ${s.tasks.length} task${s.tasks.length === 1 ? '' : 's'}`);
}

export interface RenderStatusOptions {
  /** One task asked for by name: its details follow the table. */
  single: boolean;
  /** Containment with its paths (`status --verbose`), not in plain words alone. */
  verbose?: boolean;
  /** The home line (path and how it was chosen); no header without it. */
  homeText?: string;
  now?: number;
}

export function renderStatus(s: StatusResult, color: boolean, opts: RenderStatusOptions): string {
  const now = opts.now ?? Date.now();
  const paint = painter(color);
  const out: string[] = [];
  if (opts.homeText !== undefined) out.push(statusHeader(s, opts.homeText, color, now));
  const c = s.daemon.containment;
  if (!opts.single && c) out.push(paint('dim', opts.verbose || !c.summary ? `containment: ${c.description}` : c.summary));
  if (s.daemon.configErrors.length) {
    out.push(paint('red', `${configErrorHeadline(s.daemon.configErrors, s.daemon.keptFiles)}:`));
    for (const e of s.daemon.configErrors) out.push(`  ${formatIssue(e)}`);
    out.push('');
  }
  if (s.tasks.length === 0 && !s.elsewhere?.length) out.push(`no tasks in ${s.daemon.tasksDir}; add one with \`jobctl add\` (\`jobctl help keys\` lists every key)`);
  else out.push(statusTable(s.tasks, color, now));
  if (s.elsewhere?.length) {
    const who = s.daemon.identity ? ` (this host: ${[s.daemon.identity.hostname, ...s.daemon.identity.labels].join(', ')})` : '';
    out.push('', paint('dim', `not for this host${who}:`));
    out.push(table(s.elsewhere.map((t) => [`  ${t.name}`, t.group, t.kind, paint('dim', 'not for this host'), `hosts: ${t.hosts.join(', ')}`])));
  }
  if (opts.single && s.tasks.length === 1) out.push(...taskDetails(s.tasks[0]!, color, now));
  if (s.daemon.xxljob && !opts.single) out.push('', xxljobLine(s.daemon.xxljob, color, now));
  return out.join('\n');
}
