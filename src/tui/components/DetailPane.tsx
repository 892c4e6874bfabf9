import { Box, Text } from 'ink';
import { formatBytes, formatDuration, instanceHealthText, lastProbeText } from '../../shared/format.js';
import type { DaemonInfo, TaskStatus } from '../../shared/protocol.js';
import type { RunRecord } from '../../shared/types.js';
import { fit, inkColor } from '../format.js';
import { uptimeText } from '../../view/task-cells.js';
import type { LogReader } from '../hooks/use-log-reader.js';
import { LogView } from './LogView.js';

function summary(t: TaskStatus): string {
  if (t.kind === 'cron') {
    const when = t.schedule !== undefined ? `${t.schedule}${t.timezone ? ` (${t.timezone})` : ''}` : 'on demand';
    const xxl = t.xxljobHandler !== undefined ? ` · xxl-job handler ${t.xxljobHandler}` : '';
    return `cron · ${when}${xxl}${t.description ? ` · ${t.description}` : ''}`;
  }
  const scale = t.scale
    ? ` · scale ${t.scale.min}-${t.scale.max} (${t.scale.mode}, ${t.scale.current}→${t.scale.target}${t.scale.backlog !== undefined ? `, backlog ${t.scale.backlog}` : ''})`
    : '';
  return `service · ${t.instances?.length ?? 0} instance(s)${scale}${t.description ? ` · ${t.description}` : ''}`;
}

/** A fleet task's host: `host web1 (ssh://deploy@web1/srv/jobs) · home /srv/jobs · daemon pid 4242`. */
export function hostText(host: string, d: { address?: string; daemon?: DaemonInfo } | undefined): string {
  const address = d?.address !== undefined && d.address !== host ? ` (${d.address})` : '';
  return `host ${host}${address}${d?.daemon ? ` · home ${d.daemon.home} · daemon pid ${d.daemon.pid}` : ' · not connected'}`;
}

/** A roll under way: `rolling restart: instance 1, 1/2 done`. */
function rollingText(r: NonNullable<TaskStatus['rolling']>): string {
  return `rolling restart: ${r.instance !== undefined ? `instance ${r.instance}, ` : ''}${r.done}/${r.total} done`;
}

/** The selected task: what it is (and, in a fleet, on which host), its instances or recent runs, and its live log. */
export function DetailPane({ task, runs, logLines, logTitle, reader, height, width, now, hostDetail }: {
  task: TaskStatus; runs: RunRecord[]; logLines: string[]; logTitle: string; reader: Pick<LogReader, 'scroll' | 'wrap' | 'hOffset'>;
  height: number; width: number; now: number; hostDetail?: { address?: string; daemon?: DaemonInfo };
}) {
  const rolling = task.rolling?.state === 'running';
  const fixed = 2 + (task.waiting ? 1 : 0) + (rolling ? 1 : 0) + (task.host !== undefined ? 1 : 0);
  // At most 3 instances or runs, fewer when the pane is short: the log keeps a title and a line.
  const room = Math.max(0, Math.min(3, height - fixed - 2));
  const items = task.kind === 'service'
    ? (task.instances ?? []).slice(0, room).map((i) => (
      <Text key={i.index} wrap="truncate">
        {`  #${i.index} `}<Text color={inkColor(i.state, 'white')}>{fit(i.state, 9)}</Text>
        {`${i.pid ? ` pid ${i.pid}` : ''}${i.state === 'running' && i.startedAt ? ` up ${uptimeText(i.startedAt, now)}` : ''} restarts ${i.restarts}${i.rss !== undefined ? ` mem ${formatBytes(i.rss)}` : ''}${i.cpu !== undefined ? ` cpu ${i.cpu}%` : ''}`}
        {i.health ? <Text color={inkColor(i.health.state, 'yellow')}>{` ${instanceHealthText(i.health)}`}</Text> : null}
        {`${i.health?.lastProbe && !i.health.lastProbe.ok ? ` — ${lastProbeText(i.health, now)}` : ''}${i.message ? ` — ${i.message}` : ''}`}
      </Text>
    ))
    : (room ? runs.slice(-room) : []).reverse().map((r) => (
      <Text key={r.id} wrap="truncate">
        {`  ${r.id} `}<Text color={inkColor(r.state, 'white')}>{fit(r.state, 10)}</Text>
        {`${r.trigger}${r.trigger === 'xxljob' && r.tag !== undefined ? ` log ${r.tag}` : ''}${r.attempt > 1 ? ` #${r.attempt}` : ''}${r.startedAt !== undefined ? ` ${formatDuration((r.endedAt ?? now) - r.startedAt)}` : ''}${r.exitCode !== undefined && r.exitCode !== null ? ` exit ${r.exitCode}` : ''}${r.message && r.state !== 'succeeded' ? ` — ${r.message}` : ''}`}
      </Text>
    ));
  const head = fixed + items.length;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate">
        <Text bold color="cyan">{task.name}</Text>
        <Text color="gray">{`  @${task.group} · `}</Text>
        <Text color={inkColor(task.state, 'white')}>{task.state}</Text>
      </Text>
      {task.host !== undefined ? <Text color="magenta" wrap="truncate">{`  ${hostText(task.host, hostDetail)}`}</Text> : null}
      <Text color="gray" wrap="truncate">{`  ${summary(task)}`}</Text>
      {task.waiting ? <Text color="yellow" wrap="truncate">{`  ${task.waiting}`}</Text> : null}
      {rolling ? <Text color="cyan" wrap="truncate">{`  ${rollingText(task.rolling!)}`}</Text> : null}
      {items.length ? items : null}
      <LogView lines={logLines} height={Math.max(2, height - head)} width={width} scroll={reader.scroll} wrap={reader.wrap} hOffset={reader.hOffset} title={logTitle} />
    </Box>
  );
}
