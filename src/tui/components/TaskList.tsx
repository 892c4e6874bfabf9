import { Box, Text } from 'ink';
import type { TaskStatus } from '../../shared/protocol.js';
import { taskKey } from '../backend.js';
import { STATE_COLOR, cpuCell, fit, memCell, procsCell, runCell, timeCell } from '../format.js';

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

const COLS = { state: 10, procs: 6, time: 9, last: 10, rst: 4, cpu: 6, mem: 7 };

/** The task list: only the rows that fit are rendered, around the selection. */
export function TaskList({ tasks, selected, height, width, now }: { tasks: TaskStatus[]; selected: number; height: number; width: number; now: number }) {
  const hostW = tasks.some((t) => t.host !== undefined) ? Math.min(16, Math.max(4, ...tasks.map((t) => (t.host ?? '').length))) : 0;
  const fixed = COLS.state + COLS.procs + COLS.time + COLS.last + COLS.rst + COLS.cpu + COLS.mem + 9 + (hostW ? hostW + 1 : 0);
  const nameW = Math.max(8, width - fixed - 2);
  const hostCell = (h: string | undefined) => (hostW ? `${fit(h ?? '', hostW)} ` : '');
  const rows = listRows(tasks);
  const body = Math.max(1, height - 1);
  const selRow = Math.max(0, rows.findIndex((r) => r.index === selected));
  const start = Math.min(Math.max(0, selRow - Math.floor(body / 2)), Math.max(0, rows.length - body));
  const visible = rows.slice(start, start + body);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {`  ${hostCell('HOST')}${fit('TASK', nameW)} ${fit('STATE', COLS.state)} ${fit('PROCS', COLS.procs)} ${fit('UP/NEXT', COLS.time)} ${fit('LAST', COLS.last)} ${fit('RST', COLS.rst)} ${fit('CPU', COLS.cpu)} ${fit('MEM', COLS.mem)}`}
      </Text>
      {tasks.length === 0 ? <Text color="gray">  no tasks (add one with `jobctl add`, or files in tasks/)</Text> : null}
      {visible.map((r) => {
        if (r.kind === 'group') return <Text key={`g:${r.group}`} color="magenta" wrap="truncate">{`▾ ${r.group}`}</Text>;
        const t = r.task!;
        const sel = r.index === selected;
        return (
          <Text key={taskKey(t)} inverse={sel} wrap="truncate">
            {sel ? '› ' : '  '}
            {hostCell(t.host)}{fit(t.name, nameW)}{' '}
            <Text color={STATE_COLOR[t.state] ?? 'white'}>{fit(t.state, COLS.state)}</Text>{' '}
            {fit(procsCell(t), COLS.procs)} {fit(timeCell(t, now), COLS.time)}{' '}
            <Text color={t.lastRun && t.lastRun.state !== 'succeeded' ? STATE_COLOR[t.lastRun.state] ?? 'white' : undefined}>{fit(runCell(t.lastRun, now), COLS.last)}</Text>{' '}
            {fit(String(t.restarts), COLS.rst)} {fit(cpuCell(t), COLS.cpu)} {fit(memCell(t), COLS.mem)}
          </Text>
        );
      })}
    </Box>
  );
}
