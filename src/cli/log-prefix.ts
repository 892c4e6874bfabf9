import { lineTime, splitInstanceTag, tagInstance } from '../shared/log-line.js';
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
 * Rewrites streamed text whole line by whole line: a chunk may end mid-line, so the rest
 * of each source's (subscription and instance) last line waits for its newline.
 */
export class LineRewriter {
  private readonly partial = new Map<string, string>();

  constructor(private readonly rewrite: (line: string, subscription: number, instance?: number) => string) {}

  feed(text: string, push: { subscription: number; instance?: number | undefined }): string {
    const key = `${push.subscription}#${push.instance ?? ''}`;
    const parts = ((this.partial.get(key) ?? '') + text).split('\n');
    this.partial.set(key, parts.pop() ?? '');
    return parts.map((l) => `${this.rewrite(l, push.subscription, push.instance)}\n`).join('');
  }
}

/** `logs -f` of every task: `task[#instance] | line`. */
export function taskPrefixer(tasks: ReadonlyMap<number, string>, color: boolean): LineRewriter {
  return new LineRewriter((line, sub, instance) => `${linePrefix(tasks.get(sub) ?? '?', instance, color)}${line}`);
}

/** `logs TASK -f` of several instances: each line tagged with its instance, as the merged lines are. */
export function instanceTagger(): LineRewriter {
  return new LineRewriter((line, _sub, instance) => (instance === undefined ? line : tagInstance(line, instance)));
}
