import { Box, Text } from 'ink';
import type { TaskStatus } from '../../shared/protocol.js';
import { taskKey } from '../backend.js';
import { cells, columnWidths, HEADERS } from '../columns.js';
import { STATE_COLOR, fit } from '../format.js';

interface Row {
  kind: 'group' | 'task';
  group: string;
  task?: TaskStatus;
  index?: number;
}

/** Rows: a header per group (per host and group in a fleet view), then its tasks. */
export function listRows(tasks: TaskStatus[]): Row[] {
  const rows: Row[] = [];
  let group: string | undefined;
  tasks.forEach((t, index) => {
    const g = t.host === undefined ? `@${t.group}` : `${t.host} · @${t.group}`;
    if (g !== group) {
      group = g;
      rows.push({ kind: 'group', group });
    }
    rows.push({ kind: 'task', group: t.group, task: t, index });
  });
  return rows;
}

/** The task list: only the rows that fit are rendered, around the selection; columns share the width. */
export function TaskList({ tasks, selected, height, width, now }: { tasks: TaskStatus[]; selected: number; height: number; width: number; now: number }) {
  const hostW = tasks.some((t) => t.host !== undefined) ? Math.min(16, Math.max(4, ...tasks.map((t) => (t.host ?? '').length))) : 0;
  const w = columnWidths(tasks, width - (hostW ? hostW + 1 : 0), now);
  const hostCell = (h: string | undefined) => (hostW ? `${fit(h ?? '', hostW)} ` : '');
  const rows = listRows(tasks);
  const body = Math.max(1, height - 1);
  const selRow = Math.max(0, rows.findIndex((r) => r.index === selected));
  const start = Math.min(Math.max(0, selRow - Math.floor(body / 2)), Math.max(0, rows.length - body));
  const visible = rows.slice(start, start + body);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`  ${hostCell('HOST')}${fit(HEADERS.name, w.name)} ${fit(HEADERS.state, w.state)} ${fit(HEADERS.procs, w.procs)} ${fit(HEADERS.time, w.time)} ${fit(HEADERS.last, w.last)} ${fit(HEADERS.rst, w.rst)} ${fit(HEADERS.cpu, w.cpu)} ${fit(HEADERS.mem, w.mem)}`}
      </Text>
      {tasks.length === 0 ? <Text color="gray">  no tasks (add one with `jobctl add`, or files in tasks/)</Text> : null}
      {visible.map((r) => {
        if (r.kind === 'group') return <Text key={`g:${r.group}`} color="magenta" wrap="truncate">{`▾ ${r.group}`}</Text>;
        const t = r.task!;
        const c = cells(t, now);
        const sel = r.index === selected;
        return (
          <Text key={taskKey(t)} inverse={sel} wrap="truncate">
            {sel ? '› ' : '  '}
            {hostCell(t.host)}{fit(c.name, w.name)}{' '}
            <Text color={STATE_COLOR[t.state] ?? 'white'}>{fit(c.state, w.state)}</Text>{' '}
            {fit(c.procs, w.procs)} {fit(c.time, w.time)}{' '}
            <Text color={t.lastRun && t.lastRun.state !== 'succeeded' ? STATE_COLOR[t.lastRun.state] ?? 'white' : undefined}>{fit(c.last, w.last)}</Text>{' '}
            {fit(c.rst, w.rst)} {fit(c.cpu, w.cpu)} {fit(c.mem, w.mem)}
          </Text>
        );
      })}
    </Box>
  );
}
