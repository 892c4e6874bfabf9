import type { Connection } from '../api/server.js';
import { lineTime } from '../runtime/log-read.js';
import type { LogSink } from '../runtime/log-sink.js';
import type { LogOrigin } from '../runtime/task-runner.js';
import type { LogsResult, Params } from '../shared/protocol.js';
import type { TaskRegistry } from './registry.js';
import type { Subscriptions } from './subscriptions.js';
import { requireSingleTarget } from './targets.js';

/** A reply stays well under the protocol's 1 MiB line: the newest lines that fit. */
const REPLY_BUDGET = 768 * 1024;

function fitReply(lines: string[]): string[] {
  let bytes = 0;
  let i = lines.length;
  while (i > 0) {
    bytes += JSON.stringify(lines[i - 1]!).length + 1;
    if (bytes > REPLY_BUDGET) break;
    i--;
  }
  return i === 0 ? lines : lines.slice(i);
}

/**
 * `logs`: the newest lines of a task's log(s), and with `follow` a subscription that pushes
 * what they write next. Which files and sinks belong to a task is its runner's business.
 */
export function readLogs(registry: TaskRegistry, subs: Subscriptions, p: Params<'logs'>, conn: Connection): LogsResult {
  const task = requireSingleTarget(p.task, 'logs');
  const selection = registry.require(task).logs({
    ...(p.instance !== undefined ? { instance: p.instance } : {}),
    ...(p.run !== undefined ? { run: p.run } : {}),
  });
  const n = p.lines ?? 50;
  const since = p.since;
  const parts = selection.read(n, since !== undefined);
  const lines = parts.flatMap((x) => x.lines);
  const kept = fitReply((since === undefined ? lines : lines.filter((l) => (lineTime(l) ?? Infinity) >= since)).slice(-n));
  const capped = kept.length < n && (kept.length < lines.length || parts.some((x) => x.capped));
  const result: LogsResult = { lines: kept, files: parts.flatMap((x) => x.files), ...(capped ? { capped: true } : {}) };
  if (!p.follow) return result;

  const sub = subs.id();
  const offs: Array<() => void> = [];
  const onSink = (sink: LogSink, origin: LogOrigin) => {
    const onData = (buf: Buffer) => conn.push({ event: 'log', data: { subscription: sub, task, ...origin, text: buf.toString('utf8') } });
    sink.on('data', onData);
    offs.push(() => sink.off('data', onData));
  };
  const onEnd = (reason: string) => {
    conn.push({ event: 'log-end', data: { subscription: sub, reason } });
    subs.end(sub);
  };
  offs.push(selection.follow(onSink, onEnd));
  subs.add(sub, () => offs.forEach((f) => f()));
  conn.onClose(() => subs.end(sub));
  return { ...result, subscription: sub };
}
