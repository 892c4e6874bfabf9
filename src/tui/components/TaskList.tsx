import { Box, Text } from 'ink';
import type { TaskStatus } from '../../shared/protocol.js';
import { taskKey } from '../backend.js';
import { cells, columnLayout, HEADERS, type ColumnKey } from '../columns.js';
import { fit, inkColor } from '../format.js';

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

/** The color of a task's cell, where it has one. */
function cellColor(t: TaskStatus, k: ColumnKey, text: string): string | undefined {
  if (k === 'state') return inkColor(t.state, 'white');
  if (k === 'health') return inkColor(text);
  if (k === 'last') return t.lastRun && t.lastRun.state !== 'succeeded' ? inkColor(t.lastRun.state, 'white') : undefined;
  return undefined;
}

/** The task list: only the rows that fit are rendered, around the selection; columns share the width. */
export function TaskList({ tasks, selected, height, width, now }: { tasks: TaskStatus[]; selected: number; height: number; width: number; now: number }) {
  const hostW = tasks.some((t) => t.host !== undefined) ? Math.min(16, Math.max(4, ...tasks.map((t) => (t.host ?? '').length))) : 0;
  const { keys, widths: w } = columnLayout(tasks, width - (hostW ? hostW + 1 : 0), now);
  const hostCell = (h: string | undefined) => (hostW ? `${fit(h ?? '', hostW)} ` : '');
  const rows = listRows(tasks);
  const body = Math.max(1, height - 1);
  const selRow = Math.max(0, rows.findIndex((r) => r.index === selected));
  const start = Math.min(Math.max(0, selRow - Math.floor(body / 2)), Math.max(0, rows.length - body));
  const visible = rows.slice(start, start + body);
  const used = 2 + (hostW ? hostW + 1 : 0) + keys.reduce((s, k) => s + w[k], 0) + keys.length - 1;
  // The selected row's bar goes across the whole width.
  const spare = ' '.repeat(Math.max(0, width - used));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="truncate">{`  ${hostCell('HOST')}${keys.map((k) => fit(HEADERS[k], w[k])).join(' ')}`}</Text>
      {tasks.length === 0 ? <Text color="gray">  no tasks (add one with `jobctl add`, or files in tasks/)</Text> : null}
      {visible.map((r) => {
        if (r.kind === 'group') return <Text key={`g:${r.group}`} color="magenta" wrap="truncate">{`▾ ${r.group}`}</Text>;
        const t = r.task!;
        const c = cells(t, now);
        const sel = r.index === selected;
        return (
          <Text key={taskKey(t)} inverse={sel} wrap="truncate">
            {sel ? '› ' : '  '}
            {hostCell(t.host)}
            {keys.map((k, i) => {
              const color = cellColor(t, k, c[k]);
              const text = `${i ? ' ' : ''}${fit(c[k], w[k])}`;
              return color ? <Text key={k} color={color}>{text}</Text> : text;
            })}
            {sel ? spare : ''}
          </Text>
        );
      })}
    </Box>
  );
}
