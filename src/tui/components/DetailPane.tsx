import { Box, Text } from 'ink';
import { formatBytes, formatDuration } from '../../shared/format.js';
import type { TaskStatus } from '../../shared/protocol.js';
import type { RunRecord } from '../../shared/types.js';
import { STATE_COLOR, fit } from '../format.js';
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
  return `daemon · ${t.instances?.length ?? 0} instance(s)${scale}${t.description ? ` · ${t.description}` : ''}`;
}

/** The selected task: what it is, its instances or recent runs, and its live log. */
export function DetailPane({ task, runs, logLines, logTitle, scroll, height, width, now }: {
  task: TaskStatus; runs: RunRecord[]; logLines: string[]; logTitle: string; scroll: number; height: number; width: number; now: number;
}) {
  const items = task.kind === 'daemon'
    ? (task.instances ?? []).slice(0, 3).map((i) => (
      <Text key={i.index} wrap="truncate">
        {`  #${i.index} `}<Text color={STATE_COLOR[i.state] ?? 'white'}>{fit(i.state, 9)}</Text>
        {`${i.pid ? ` pid ${i.pid}` : ''}${i.state === 'running' && i.startedAt ? ` up ${formatDuration(now - i.startedAt)}` : ''} restarts ${i.restarts}${i.rss !== undefined ? ` mem ${formatBytes(i.rss)}` : ''}${i.cpu !== undefined ? ` cpu ${i.cpu}%` : ''}${i.message ? ` — ${i.message}` : ''}`}
      </Text>
    ))
    : runs.slice(-3).reverse().map((r) => (
      <Text key={r.id} wrap="truncate">
        {`  ${r.id} `}<Text color={STATE_COLOR[r.state] ?? 'white'}>{fit(r.state, 10)}</Text>
        {`${r.trigger}${r.trigger === 'xxljob' && r.tag !== undefined ? ` log ${r.tag}` : ''}${r.attempt > 1 ? ` #${r.attempt}` : ''}${r.startedAt !== undefined ? ` ${formatDuration((r.endedAt ?? now) - r.startedAt)}` : ''}${r.exitCode !== undefined && r.exitCode !== null ? ` exit ${r.exitCode}` : ''}${r.message && r.state !== 'succeeded' ? ` — ${r.message}` : ''}`}
      </Text>
    ));
  const head = 2 + items.length;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold color="cyan">{task.name}</Text>
        <Text color="gray">{`  @${task.group} · `}</Text>
        <Text color={STATE_COLOR[task.state] ?? 'white'}>{task.state}</Text>
      </Text>
      <Text color="gray" wrap="truncate">{`  ${summary(task)}`}</Text>
      {items.length ? items : null}
      <LogView lines={logLines} height={Math.max(2, height - head)} width={width} scroll={scroll} title={logTitle} />
    </Box>
  );
}
