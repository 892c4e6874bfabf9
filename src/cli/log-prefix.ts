import { lineTime, splitInstanceTag } from '../shared/log-line.js';
import { painter, type Style } from './output.js';

const TASK_COLORS: Style[] = ['cyan', 'green', 'yellow', 'magenta', 'blue', 'red'];

/** A stable color per task name (as `pm2 logs`). */
export function taskColor(name: string): Style {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return TASK_COLORS[h % TASK_COLORS.length]!;
}

/** `worker#1 | ` for a line of every task's log; colored by task on a terminal. */
export function linePrefix(task: string, instance: number | undefined, color: boolean): string {
  return `${painter(color)(taskColor(task), `${task}${instance !== undefined ? `#${instance}` : ''}`)} | `;
}

/** A task's recent lines, each with its `task[#instance]` prefix; `at` is the line's time, for merging. */
export function prefixed(task: string, lines: string[], color: boolean): Array<{ at: number; text: string }> {
  return lines.map((l) => {
    const { instance, line } = splitInstanceTag(l);
    return { at: lineTime(line) ?? -1, text: `${linePrefix(task, instance, color)}${line}` };
  });
}

/**
 * Prefixes streamed text line by line: a chunk may end mid-line, so each source (task and
 * instance) remembers whether it is at a line start.
 */
export class StreamPrefixer {
  private readonly midLine = new Map<string, boolean>();

  constructor(private readonly color: boolean) {}

  feed(task: string, instance: number | undefined, text: string): string {
    const key = `${task}#${instance ?? ''}`;
    const prefix = linePrefix(task, instance, this.color);
    let out = '';
    let mid = this.midLine.get(key) ?? false;
    for (const piece of text.split(/(?<=\n)/)) {
      if (piece === '') continue;
      out += (mid ? '' : prefix) + piece;
      mid = !piece.endsWith('\n');
    }
    this.midLine.set(key, mid);
    return out;
  }
}
